"""Charts a leader reads at a glance, as PNG: matplotlib with a CJK font (Debian's fonts-noto-cjk)."""

from __future__ import annotations

import io
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

from approvals.errors import Refused
from schemas.report import Report

DEBIAN_CJK = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
LIGHT_COLOURS = {"green": "#2e7d32", "yellow": "#f9a825", "red": "#c62828", "stopped": "#78909c",
                 "unknown": "#bdbdbd"}


@lru_cache(maxsize=1)
def cjk_font() -> Path:
    """The Noto Sans CJK file: where fontconfig says, else Debian's path; refused when neither has it."""
    if shutil.which("fc-match"):
        found = subprocess.run(["fc-match", "-f", "%{file}", "Noto Sans CJK SC:style=Regular"],
                               capture_output=True, text=True, check=False).stdout.strip()
        if found and "CJK" in found and Path(found).is_file():
            return Path(found)
    if DEBIAN_CJK.is_file():
        return DEBIAN_CJK
    raise Refused("no CJK font for the charts: install Debian's fonts-noto-cjk (apt-get install fonts-noto-cjk)")


def charts(report: Report) -> list[tuple[str, bytes]]:
    """(title, PNG) for each chart, in the order the PDF and the workbook show them."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager, pyplot

    font_manager.fontManager.addfont(str(cjk_font()))
    family = font_manager.FontProperties(fname=str(cjk_font())).get_name()
    with matplotlib.rc_context({"font.family": family, "axes.unicode_minus": False, "svg.hashsalt": "onevisit"}):
        made = []
        for title, draw in (("各部门按时办结率", _on_time), ("在办任务红黄绿灯", _lights), ("每日收件量", _per_day),
                            ("事项办理用时与承诺时限（工作日）", _matter_days)):
            figure, axes = pyplot.subplots(figsize=(8, 4.2), dpi=110)
            draw(axes, report)
            axes.set_title(title)
            figure.tight_layout()
            buffer = io.BytesIO()
            figure.savefig(buffer, format="png", metadata={"Software": None})
            pyplot.close(figure)
            made.append((title, buffer.getvalue()))
        return made


def _on_time(axes, report: Report) -> None:
    rows = [a for a in report.agencies if a.counts.on_time_rate is not None]
    names = [a.name for a in rows]
    values = [a.counts.on_time_rate * 100 for a in rows]
    axes.barh(names, values, color=["#c62828" if v < 80 else "#2e7d32" for v in values])
    axes.set_xlim(0, 100)
    axes.set_xlabel("按时办结率（%）")
    axes.invert_yaxis()
    _empty(axes, rows)


def _lights(axes, report: Report) -> None:
    names = {"green": "绿灯", "yellow": "黄灯", "red": "红灯", "stopped": "暂停计时", "unknown": "无法计算"}
    keys = list(report.open_by_light)
    axes.bar([names[k] for k in keys], [report.open_by_light[k] for k in keys],
             color=[LIGHT_COLOURS[k] for k in keys])
    axes.set_ylabel("在办任务数")


def _per_day(axes, report: Report) -> None:
    days = list(report.cases_per_day)
    axes.bar([d[5:] for d in days], [report.cases_per_day[d] for d in days], color="#1565c0")
    axes.set_ylabel("收件数")
    if len(days) > 10:
        axes.tick_params(axis="x", labelrotation=90, labelsize=7)


def _matter_days(axes, report: Report) -> None:
    rows = report.matters
    positions = range(len(rows))
    axes.barh([p - 0.2 for p in positions], [m.average_days for m in rows], height=0.4, label="平均用时",
              color="#1565c0")
    axes.barh([p + 0.2 for p in positions], [m.p90_days for m in rows], height=0.4, label="90%用时", color="#90caf9")
    axes.scatter([m.promised_days or 0 for m in rows], list(positions), marker="|", s=300, color="#c62828",
                 label="承诺时限", zorder=3)
    axes.set_yticks(list(positions), [m.name for m in rows], fontsize=7)
    axes.invert_yaxis()
    axes.set_xlabel("工作日")
    if rows:
        axes.legend(loc="lower right", fontsize=8)
    _empty(axes, rows)


def _empty(axes, rows) -> None:
    if not rows:
        axes.text(0.5, 0.5, "本期无数据", transform=axes.transAxes, ha="center", va="center")
