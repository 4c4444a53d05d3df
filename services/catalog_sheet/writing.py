"""Writing a catalog document out as an implementation list workbook: the template `catalog import` reads."""

from __future__ import annotations

from pathlib import Path

from approvals.catalog import REFORM_MODES
from services.catalog_sheet.columns import BUNDLES, MATERIALS, MATTERS, SHEETS, fee_text, letter, steps_text


def example_document(document: dict, bundle: str = "RESTAURANT") -> dict:
    """One bundle of a catalog with its matters and agencies: the template's example rows."""
    chosen = next(b for b in document["bundles"] if b["code"] == bundle)
    codes = {e["matter"] for e in chosen["matters"]}
    matters = [m for m in document["matters"] if m["code"] in codes]
    agencies = [a for a in document["agencies"] if a["code"] in {m["agency"] for m in matters}]
    return {"agencies": agencies, "matters": matters, "bundles": [chosen]}


def write_workbook(document: dict, path: Path) -> None:
    """Write a catalog document (as stored) as an implementation list workbook: the template's shape."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook(write_only=False)
    workbook.remove(workbook.active)
    agency_names = {a["code"]: a["name"] for a in document["agencies"]}
    rows = {
        MATTERS: ([m["code"], m["name"], m["agency"], agency_names[m["agency"]], m["statutory_days"],
                   m["promised_days"], "；".join(m.get("depends_on", [])),
                   "是" if m.get("notification_commitment") else "否",
                   REFORM_MODES.get(m.get("reform_mode") or "", ""), fee_text(m.get("fee_yuan")),
                   m.get("promise_days"), m.get("grace_days"), m.get("verify_days"), "；".join(m.get("promisable", [])),
                   "是" if m.get("on_the_spot") else "否", steps_text(m.get("steps", []))] for m in document["matters"]),
        MATERIALS: ([m["code"], x["code"], x["name"], "主要" if x.get("core", True) else "次要", x.get("shared_from")]
                    for m in document["matters"] for x in m.get("materials", [])),
        BUNDLES: ([b["code"], b["name"] if i == 0 else None, b["promised_days"] if i == 0 else None, e["matter"],
                   "是" if e.get("optional") else "否"] for b in document["bundles"] for i, e in enumerate(b["matters"])),
    }
    for sheet, columns in SHEETS.items():
        table = workbook.create_sheet(sheet)
        table.append([c.header for c in columns])
        for cell in table[1]:
            cell.font = Font(bold=True)
        for row in rows[sheet]:
            table.append(row)
        for index, column in enumerate(columns):
            table.column_dimensions[letter(index)].width = max(10, len(column.header) * 2 + 4)
    workbook.save(path)
