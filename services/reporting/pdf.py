"""A report as an A4 PDF (fpdf2), the CJK font embedded: heading, charts, then every section's table."""

from __future__ import annotations

import io
from datetime import UTC, datetime, time
from functools import lru_cache

from schemas.report import Report
from services.reporting.charts import charts, cjk_font
from services.reporting.markdown import LIGHT_NAMES, heading, tables


def render(report: Report) -> bytes:
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_creation_date(datetime.combine(report.period_end, time(), UTC))  # same data, same file
    pdf.set_title(heading(report))
    pdf.set_creator("onevisit")
    pdf.add_font("cjk", "", str(cjk_font()), collection_font_number=_simplified_chinese())
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_page()
    pdf.set_font("cjk", size=16)
    pdf.cell(0, 10, heading(report), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=10)
    lights = "，".join(f"{LIGHT_NAMES[k]} {v}" for k, v in report.open_by_light.items())
    pdf.multi_cell(0, 6, f"在办任务：{lights}", new_x="LMARGIN", new_y="NEXT")
    for _title, png in charts(report):
        if pdf.get_y() > 190:
            pdf.add_page()
        pdf.image(io.BytesIO(png), w=180)
    for title, columns, rows in tables(report):
        if pdf.get_y() > 240:
            pdf.add_page()
        else:
            pdf.ln(4)
        pdf.set_font("cjk", size=12)
        pdf.cell(0, 8, title, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("cjk", size=7)
        if not rows:
            pdf.cell(0, 6, "无", new_x="LMARGIN", new_y="NEXT")
            continue
        with pdf.table(text_align="LEFT", line_height=4.5, first_row_as_headings=True,
                       headings_style=FontFace(emphasis="", fill_color=(225, 230, 240))) as table:
            for values in [columns, *rows]:
                line = table.row()
                for value in values:
                    line.cell("-" if value is None or value == "" else str(value))
    if report.ratings is None:
        pdf.ln(4)
        pdf.set_font("cjk", size=10)
        pdf.cell(0, 8, "好差评：no ratings（好差评模块未安装）", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


@lru_cache(maxsize=1)
def _simplified_chinese() -> int:
    """Noto Sans CJK's collection holds JP, KR, SC, TC, HK faces: the SC one (index 2 in Debian's file). Found
    once a process: reading the collection's names costs over a second."""
    from fontTools.ttLib import TTCollection

    for index, face in enumerate(TTCollection(str(cjk_font()), lazy=True).fonts):
        if "SC" in face["name"].getDebugName(1):
            return index
    return 0
