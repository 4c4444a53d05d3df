"""What the hall calls the engine's codes: statuses, lights, roles, timeline entries, in the message catalog.

The engine's values stay English codes (the CLI and the API speak them); people read these names.
A code with no name here is shown as it is, in small print, rather than guessed.
"""

from __future__ import annotations

from web.i18n import N_

CASE_STATUS = {
    "correction_required": N_("Corrections required"),
    "in_review": N_("In review"),
    "issued": N_("Issued"),
    "partially_issued": N_("Partly issued"),
    "denied": N_("Denied"),
    "awaiting_materials": N_("Awaiting promised materials"),
    "suspended": N_("Suspended"),
    "returned": N_("Returned"),
    "refused": N_("Refused at intake"),
    "withdrawn": N_("Withdrawn"),
}

TASK_STATUS = {
    "waiting": N_("Waiting for a prerequisite"),
    "pending": N_("Under review"),
    "supplement_requested": N_("Materials requested"),
    "approved": N_("Approved"),
    "denied": N_("Denied"),
    "cancelled": N_("Cancelled"),
}

LIGHT = {"green": N_("Green"), "yellow": N_("Yellow"), "red": N_("Red")}

CLOCK = {
    "running": N_("Clock running"),
    "stopped:supplement": N_("Clock stopped: materials requested"),
    "stopped:special": N_("Clock stopped: special procedure"),
    "stopped:suspended": N_("Clock stopped: case suspended"),
}

ROLE = {
    "window": N_("Window clerk"),
    "reviewer": N_("Reviewer"),
    "head": N_("Agency head"),
    "supervisor": N_("Supervisor"),
    "admin": N_("Administrator"),
    "leader": N_("Leader"),
    "agent": N_("Agent"),
}

CHANNEL = {"window": N_("At the window"), "online": N_("Online"), "proxy": N_("By an agent")}

LEDGER_STATUS = {"assigned": N_("Assigned"), "supervised": N_("Supervised"), "closed": N_("Crossed off")}

COMMITMENT_KIND = {"deficiency": N_("Deficiency-tolerant promise"), "notification": N_("Notification-commitment")}

COMMITMENT_STATUS = {
    "open": N_("Open"),
    "fulfilled": N_("Fulfilled"),
    "broken": N_("Broken"),
    "verified": N_("Verified"),
    "failed": N_("Failed"),
    "void": N_("Void"),
}

DELIVERY = {"pickup": N_("Picked up at the window"), "post": N_("By post"), "electronic": N_("Electronic licence")}

EXTENSION = {"requested": N_("Requested"), "approved": N_("Approved"), "refused": N_("Refused")}

CERTIFICATE_STATUS = {"issued": N_("In force"), "revoked": N_("Revoked")}

MANDATE_STATUS = {"valid": N_("Valid"), "expired": N_("Expired"), "revoked": N_("Revoked")}

SCOPE = {
    "submit": N_("File applications"),
    "supplement": N_("Supply materials"),
    "sign_commitment": N_("Sign promises"),
    "receive_results": N_("Receive notices and results"),
}

RUN_STATE = {
    "RUNNING": N_("Running"),
    "COMPLETED": N_("Completed"),
    "FAILED": N_("Failed"),
    "CRASHED": N_("Crashed"),
    "CANCELLED": N_("Cancelled"),
    "PENDING": N_("Pending"),
    "SCHEDULED": N_("Scheduled"),
}

EVENT = {
    "submitted": N_("Filed"),
    "accepted": N_("Accepted"),
    "correction_requested": N_("Corrections requested"),
    "correction_pending": N_("Corrections still awaited"),
    "materials_received": N_("Materials received"),
    "key_project": N_("Key project"),
    "dispatched": N_("Sent to the agency"),
    "released": N_("Released for review"),
    "review": N_("Review decided"),
    "approved": N_("Approved"),
    "denied": N_("Denied"),
    "collected": N_("Results handed over"),
    "ledger_closed": N_("Ledger item crossed off"),
    "supplement_requested": N_("Materials requested"),
    "review_resumed": N_("Review resumed"),
    "clock_stopped": N_("Clock stopped"),
    "clock_resumed": N_("Clock resumed"),
    "issued": N_("Issued"),
    "case_denied": N_("Case denied"),
    "results_withheld": N_("Results withheld"),
    "results_delivered": N_("Results delivered"),
    "notified": N_("Notice sent"),
    "promise_signed": N_("Promise signed"),
    "promise_kept": N_("Promise kept"),
    "promise_refused": N_("Promise refused"),
    "promise_verified": N_("Promise verified"),
    "promise_void": N_("Promise void"),
    "broken_promise": N_("Promise broken"),
    "false_commitment": N_("False promise"),
    "certificate_revoked": N_("Certificate revoked"),
    "credit_record": N_("Credit record written"),
    "case_suspended": N_("Case suspended"),
    "case_resumed": N_("Case resumed"),
    "case_returned": N_("Case returned"),
    "deadline_unknown": N_("Deadline unknown"),
    "ledger_assigned": N_("Ledger item assigned"),
    "shared_fetched": N_("Shared material fetched"),
    "shared_pending": N_("Shared material pending"),
    "reassigned": N_("Reassigned"),
    "requeued": N_("Queued again"),
    "reopened": N_("Reopened"),
    "incident": N_("Incident"),
    "cancelled": N_("Task cancelled"),
    "refused": N_("Refused at intake"),
    "withdrawn": N_("Withdrawn"),
    "extension_requested": N_("Extension requested"),
    "extension_approved": N_("Extension approved"),
    "extension_refused": N_("Extension refused"),
    "signed": N_("Step signed"),
    "rated": N_("Rated"),
    "rectification_opened": N_("Rectification opened"),
    "light": N_("Light changed"),
}

LEDGER_KIND = {  # items entered by hand (交办)
    "problem": N_("Problem list"),
    "duty": N_("Duty list"),
    "task": N_("Task list"),
}

RATING_LEVEL = {  # 好差评: the two lowest are a bad rating (差评)
    5: N_("Very satisfied"),
    4: N_("Satisfied"),
    3: N_("Fairly satisfied"),
    2: N_("Dissatisfied"),
    1: N_("Very dissatisfied"),
}

ALL = {
    "case_status": CASE_STATUS, "task_status": TASK_STATUS, "light": LIGHT, "clock": CLOCK, "role": ROLE,
    "channel": CHANNEL, "ledger_status": LEDGER_STATUS, "ledger_kind": LEDGER_KIND, "commitment_kind": COMMITMENT_KIND,
    "commitment_status": COMMITMENT_STATUS, "certificate_status": CERTIFICATE_STATUS,
    "mandate_status": MANDATE_STATUS, "delivery": DELIVERY, "rating_level": RATING_LEVEL, "extension": EXTENSION, "scope": SCOPE, "run_state": RUN_STATE, "event": EVENT,
}
