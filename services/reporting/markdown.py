"""A report as Markdown: the text of the file, of the Prefect artifact, and of the PDF's tables."""

from __future__ import annotations

from schemas.report import Report

LIGHT_NAMES = {"green": "绿灯", "yellow": "黄灯", "red": "红灯", "stopped": "暂停计时", "unknown": "无法计算"}
STATUS_NAMES = {"assigned": "交办", "supervised": "督查", "closed": "销号"}
CASE_STATUS_NAMES = {"correction_required": "待补正", "in_review": "审查中", "issued": "已办结", "partially_issued": "部分办结",
                     "denied": "不予许可", "awaiting_materials": "待补交容缺材料", "suspended": "中止", "returned": "退件",
                     "refused": "不予受理", "withdrawn": "撤回"}
KIND_NAMES = {"review": "逾期任务", "verification": "告知承诺核查", "problem": "问题清单", "duty": "责任清单",
              "task": "任务清单"}


def percent(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def tables(report: Report) -> list[tuple[str, list[str], list[list[object]]]]:
    """Every section as (title, columns, rows): Markdown, XLSX sheets and the PDF all print these."""
    h = report.hall
    sections = [
        ("大厅总体", ["收件", "受理", "办结（出证）", "不予许可", "退件", "不予受理", "撤回", "按时办结率"],
         [[h.received, h.accepted, h.issued, h.denied, h.returned, h.refused, h.withdrawn, percent(h.on_time_rate)]]),
        ("各部门办理情况", ["部门", "收件", "准予", "不予", "退回", "按时率", "绿灯", "黄灯", "红灯", "暂停"],
         [[a.name, a.counts.received, a.counts.issued, a.counts.denied, a.counts.returned,
           percent(a.counts.on_time_rate), a.open_by_light["green"], a.open_by_light["yellow"],
           a.open_by_light["red"], a.open_by_light["stopped"]] for a in report.agencies]),
        ("部门排名", ["名次", "部门", "按时率", "用时/承诺时限", "办结任务", "末位"],
         [[r.rank, r.name, percent(r.on_time_rate), "-" if r.average_ratio is None else f"{r.average_ratio:.2f}",
           r.decided, "末位约谈" if r.last_place else ""] for r in report.ranking]),
        ("事项办理用时（工作日）", ["事项", "部门", "承诺时限", "办结数", "平均用时", "90%用时", "超时限"],
         [[m.name, m.agency, m.promised_days, m.decided, m.average_days, m.p90_days, m.over_limit]
          for m in report.matters]),
        ("逾期办件", ["办件编号", "一件事", "申请人", "当前状态", "原因（截至期末）"],
         [[c.case_no, c.bundle, c.applicant, CASE_STATUS_NAMES.get(c.status, c.status), c.reason]
          for c in report.overdue]),
        ("停滞办件", ["办件编号", "一件事", "申请人", "当前状态", "原因（截至期末）"],
         [[c.case_no, c.bundle, c.applicant, CASE_STATUS_NAMES.get(c.status, c.status), c.reason]
          for c in report.stalled]),
        ("督办台账", ["部门", "新交办", "督查", "销号", "未销号"],
         [[a, c["opened"], c["escalated"], c["closed"], c["open"]] for a, c in report.ledger.by_agency.items()]),
        ("未销号事项", ["编号", "类别", "部门", "事项", "状态", "期限", "灯", "责任人", "包联领导"],
         [[i.id, KIND_NAMES.get(i.kind, i.kind), i.agency, i.title, STATUS_NAMES.get(i.status, i.status), i.due,
           LIGHT_NAMES.get(i.light or "unknown"), i.escalated_to or i.assigned_to, i.leader or "-"]
          for i in report.ledger.open_items]),
        ("重点项目（五个一）", ["项目", "名称", "包联领导", "专班", "计划", "办件", "已办结", "在办", "在办任务", "红灯", "进度"],
         [[p.code, p.name, p.leader_name, p.team, p.plan, p.cases, p.issued, p.in_review, p.open_tasks, p.red_tasks,
           percent(p.progress)] for p in report.projects]),
    ]
    if report.ratings is not None:
        sections.append(("好差评", ["名次", "部门", "评价数", "满意率", "差评", "整改", "按时回访率", "按时整改率"],
                         [[r.get("rank"), r.get("name", r.get("agency")), r["count"], percent(r["satisfaction_rate"]),
                           r["bad"], r["rectifications"], percent(r["callback_on_time_rate"]),
                           percent(r["fix_on_time_rate"])] for r in report.ratings]))
    return sections


def heading(report: Report) -> str:
    span = (report.period_start.isoformat() if report.period_start == report.period_end
            else f"{report.period_start.isoformat()} 至 {report.period_end.isoformat()}")
    return f"{report.title} {span}"


def render(report: Report) -> str:
    lines = [f"# {heading(report)}", ""]
    lights = "，".join(f"{LIGHT_NAMES[k]} {v}" for k, v in report.open_by_light.items())
    lines += [f"在办任务：{lights}", ""]
    for title, columns, rows in tables(report):
        lines += [f"## {title}", ""]
        if not rows:
            lines += ["无", ""]
            continue
        lines.append("| " + " | ".join(columns) + " |")
        lines.append("|" + "---|" * len(columns))
        for row in rows:
            lines.append("| " + " | ".join(_cell(v) for v in row) + " |")
        lines.append("")
    if report.ratings is None:
        lines += ["## 好差评", "", "no ratings（好差评模块未安装）", ""]
    return "\n".join(lines)


def _cell(value: object) -> str:
    text = "-" if value is None or value == "" else str(value)
    return text.replace("|", "\\|").replace("\n", " ")
