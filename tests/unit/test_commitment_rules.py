"""Unit tests for approvals.commitments: where a 容缺 promise stands, and whether a 告知承诺 verification
changes anything. Dates worked out by hand from the 2026 National Day notice (10-01..10-07 off; Saturday
10-10 a make-up workday): the working days after Wednesday 2026-09-30 are 10-08 (1), 10-09 (2), 10-10 (3),
10-12 (4)."""

from __future__ import annotations

from datetime import date

import pytest

from approvals.calendar import WorkingCalendar
from approvals.commitments import CommitmentStatus as S
from approvals.commitments import PromiseStage, check_verification, deficiency_stage
from approvals.errors import BadInput, Refused

DUE = date(2026, 9, 30)


@pytest.mark.parametrize("today, stage", [
    (date(2026, 9, 29), PromiseStage.KEPT_OR_RUNNING),
    (DUE, PromiseStage.KEPT_OR_RUNNING),  # the due day itself is still in time
    (date(2026, 10, 1), PromiseStage.SUSPEND),  # past due: suspended, the grace period runs
    (date(2026, 10, 10), PromiseStage.SUSPEND),  # the third working day after: the grace period's last day
    (date(2026, 10, 11), PromiseStage.RETURN),  # a Sunday after it: returned
    (date(2026, 10, 12), PromiseStage.RETURN),
])
def test_a_deficiency_promise_runs_then_suspends_then_returns_after_its_grace_in_working_days(today, stage):
    assert deficiency_stage(WorkingCalendar(), DUE, 3, today) is stage


def test_a_promise_with_no_due_date_keeps_running():
    assert deficiency_stage(WorkingCalendar(), None, 3, date(2030, 1, 1)) is PromiseStage.KEPT_OR_RUNNING


def test_a_grace_period_that_cannot_be_counted_suspends_and_never_returns_on_a_guess():
    far = date(2099, 6, 1)  # no calendar announced for 2099
    assert deficiency_stage(WorkingCalendar(), far, 3, date(2099, 12, 31)) is PromiseStage.SUSPEND


def test_an_override_moves_the_end_of_the_grace_period():
    extra_holiday = WorkingCalendar({date(2026, 10, 9): False})  # 10-08 (1), 10-10 (2), 10-12 (3)
    assert deficiency_stage(extra_holiday, DUE, 3, date(2026, 10, 12)) is PromiseStage.SUSPEND
    assert deficiency_stage(extra_holiday, DUE, 3, date(2026, 10, 13)) is PromiseStage.RETURN


def test_a_verification_changes_an_open_promise_and_repeating_it_changes_nothing():
    assert check_verification(S.OPEN, True, None, issued=True) is True
    assert check_verification(S.OPEN, False, "the premises were not as promised", issued=True) is True
    assert check_verification(S.VERIFIED, True, None, issued=True) is False
    assert check_verification(S.FAILED, False, "again", issued=True) is False


def test_a_verification_is_refused_before_issuance_after_the_other_result_and_without_a_reason_to_fail():
    with pytest.raises(Refused, match="after issuance"):
        check_verification(S.OPEN, True, None, issued=False)
    with pytest.raises(Refused, match="already verified: verified"):
        check_verification(S.VERIFIED, False, "changed our mind", issued=True)
    with pytest.raises(Refused, match="already verified: void"):
        check_verification(S.VOID, True, None, issued=True)
    for blank in (None, "", "   "):
        with pytest.raises(BadInput, match="--reason"):
            check_verification(S.OPEN, False, blank, issued=True)
