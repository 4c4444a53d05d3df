"""Ending a case without a decision on its matters: refusal at intake (不予受理) and withdrawal (撤回).

Pure rules: which case may end which way, and the written notice the law asks for (行政许可法 §32).
"""

from __future__ import annotations

from enum import StrEnum

from approvals.errors import BadInput, Refused
from approvals.review import FINISHED_CASE, CaseStatus


class Ending(StrEnum):
    REFUSAL = "refusal"  # 不予受理: the window refuses to accept the application
    WITHDRAWAL = "withdrawal"  # 撤回: the applicant withdraws it
    LAPSE = "lapse"  # a correction request left unanswered: closed as withdrawn by the sweep


# The notices' legal wording, printed on the 不予受理通知书 and the notice of withdrawal.
REFUSAL_NOTICE = ("根据《中华人民共和国行政许可法》第三十二条，本机关决定对该申请不予受理。"
                  "如不服本决定，可以自收到本通知书之日起六十日内依法申请行政复议，或者六个月内依法提起行政诉讼。")
WITHDRAWAL_NOTICE = "申请人撤回申请，本件终止办理，已提交的材料可至窗口领回。"
LAPSE_NOTICE = "补正材料通知书所列材料逾期未补正，视为申请人撤回申请，本件终止办理。"

NOTICE = {Ending.REFUSAL: REFUSAL_NOTICE, Ending.WITHDRAWAL: WITHDRAWAL_NOTICE, Ending.LAPSE: LAPSE_NOTICE}
STATUS = {Ending.REFUSAL: CaseStatus.REFUSED, Ending.WITHDRAWAL: CaseStatus.WITHDRAWN,
          Ending.LAPSE: CaseStatus.WITHDRAWN}


def check_ending(status: CaseStatus, ending: Ending, reason: str | None) -> str:
    """The reason, cleaned; BadInput without one, Refused when the case cannot end that way now.

    Refusal is at intake only: a case not accepted yet (补正 pending). Withdrawal is open at any stage
    before issuance; a finished case (issued, denied, returned, refused, withdrawn) cannot be withdrawn.
    """
    reason = (reason or "").strip()
    if not reason:
        raise BadInput("--reason is required (it is written on the notice)")
    if status in FINISHED_CASE:
        raise Refused(f"the case is {status.value}: it has ended already")
    if ending is not Ending.WITHDRAWAL and status is not CaseStatus.CORRECTION_REQUIRED:
        raise Refused(f"the case is {status.value}: it was accepted, so it can no longer be refused at intake "
                      "(withdrawal or a denial remain)")
    return reason
