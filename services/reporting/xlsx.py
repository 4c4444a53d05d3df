"""A report as an Excel workbook (openpyxl): a sheet of charts, then one sheet per section."""

from __future__ import annotations

import io
from datetime import datetime, time

from schemas.report import Report
from services.reporting.charts import charts
from services.reporting.markdown import heading, tables


def render(report: Report) -> bytes:
    from openpyxl import Workbook
    from openpyxl.drawing.image import Image
    from openpyxl.styles import Font

    book = Workbook()
    summary = book.active
    summary.title = "图表"
    summary["A1"] = heading(report)
    summary["A1"].font = Font(bold=True, size=14)
    row = 3
    for title, png in charts(report):
        summary.cell(row=row, column=1, value=title).font = Font(bold=True)
        image = Image(io.BytesIO(png))
        summary.add_image(image, f"A{row + 1}")
        row += 25
    for title, columns, rows in tables(report):
        sheet = book.create_sheet(title=_sheet_name(title))
        sheet.append(columns)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for values in rows:
            sheet.append([v if isinstance(v, int | float) else ("" if v is None else str(v)) for v in values])
        for column in sheet.columns:
            width = max(len(str(c.value or "")) for c in column)
            sheet.column_dimensions[column[0].column_letter].width = min(60, 4 + 2 * width)
    stamp = datetime.combine(report.period_end, time())  # the period, not the clock: same data, same workbook
    book.properties.creator = "onevisit"
    book.properties.created = book.properties.modified = stamp
    buffer = io.BytesIO()
    book.save(buffer)
    return _settled(buffer.getvalue(), stamp)


def _settled(workbook: bytes, stamp: datetime) -> bytes:
    """The same bytes for the same report: openpyxl stamps the save time into docProps/core.xml and every zip
    entry; both get the period's end instead."""
    import re
    import zipfile

    modified = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    source, target = zipfile.ZipFile(io.BytesIO(workbook)), io.BytesIO()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for entry in source.infolist():
            data = source.read(entry.filename)
            if entry.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + modified.encode(), data)
            out.writestr(zipfile.ZipInfo(entry.filename, date_time=stamp.timetuple()[:6]), data,
                         compress_type=zipfile.ZIP_DEFLATED)
    return target.getvalue()


def _sheet_name(title: str) -> str:
    for bad in "[]:*?/\\（）":
        title = title.replace(bad, "")
    return title[:31]
