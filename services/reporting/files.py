"""A report as the bytes of a file, in one of four formats; the same report gives the same bytes."""

from __future__ import annotations

import json

from schemas.report import Report


def as_json(report: Report) -> str:
    return json.dumps(report.model_dump(mode="json"), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def render(report: Report, fmt: str) -> bytes:
    if fmt == "json":
        return as_json(report).encode("utf-8")
    if fmt == "md":
        from services.reporting.markdown import render as markdown

        return markdown(report).encode("utf-8")
    if fmt == "xlsx":
        from services.reporting.xlsx import render as xlsx

        return xlsx(report)
    if fmt == "pdf":
        from services.reporting.pdf import render as pdf

        return pdf(report)
    raise ValueError(fmt)
