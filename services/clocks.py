"""The clocks of stored tasks and cases as the rules read them (approvals.deadlines), for the sweeps that
recompute many at once (services.workdays); a use case changes one case's clocks through its aggregate
(approvals.casefile)."""

from __future__ import annotations

from approvals.deadlines import ClockState, StopKind
from schemas.case import Case
from schemas.review import ReviewTask


def task_clock(task: ReviewTask) -> ClockState:
    return ClockState(
        started_on=task.started_on,
        promised_days=task.promised_days,
        statutory_days=task.statutory_days,
        supplement_days=task.supplement_days,
        special_days=task.special_days,
        stopped=StopKind(task.stopped) if task.stopped else None,
        stopped_on=task.stopped_on,
    )


def case_clock(case: Case, tz) -> ClockState:
    return ClockState(
        started_on=case.accepted_at.astimezone(tz).date(),
        promised_days=case.promised_days,
        supplement_days=case.suspended_days,
        stopped=StopKind.SUPPLEMENT if case.stops_open else None,
        stopped_on=case.stopped_on,
    )
