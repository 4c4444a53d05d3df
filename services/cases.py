"""Use cases on a case: submit at the window, supplement materials, decide a review.

Each takes a Session inside an open unit of work, changes one case, and never commits: the
caller commits once. Rules come from `approvals`; this module only loads, applies and records.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session, select

from approvals import intake
from approvals.commitments import CommitmentStatus
from approvals.deadlines import Clock, StopKind
from approvals.errors import BadInput, Forbidden, NotFound, Refused
from approvals.permissions import ALLOWED, Act, Actor, Role, Scope, shortened
from approvals.identifiers import resident_id_problem, uscc_problem
from approvals.text import clean_name
from approvals.review import (
    FINISHED_CASE,
    Action,
    CaseStatus,
    TaskState,
    TaskStatus,
    check_decision,
    initial_status,
    settle,
)
from schemas.case import ApplicationIn, Case, DeliveryIn, SubmitResult
from schemas.orchestration import OutboxItem
from schemas.review import ReviewTask
from schemas.staff import Operator
from services import commitments, sharing, signoffs, staff
from services.catalog import catalog_in_force, catalog_version
from services.clocks import (
    close_ledger,
    refresh_case_due,
    refresh_task_due,
    resume_clock,
    started_clock,
    stop_clock,
)
from services.records import (enqueue, enqueue_notice, iso, lock_case, lock_case_of_task, new_chain, record, task_rows,
                              tasks_of)
from services.rows import insert, load, save
from services.db import raw
from services.settings import get_settings


# --- submit (受理) -------------------------------------------------------------------------


def submit(session: Session, application: ApplicationIn, *, actor: str, clock: Clock) -> SubmitResult:
    """File one application at the window. The same request_id never makes a second case."""
    who = staff.authorise(session, actor, Act.SUBMIT)
    _check_identifiers(application, clock)
    _check_channel(session, application, who, clock)
    digest = _digest(application)
    if application.request_id is not None:
        found = load(session, Case, "FROM case_file WHERE request_id = %(request_id)s",
                     request_id=application.request_id)
        if found:
            existing = found[0]
            if existing.request_digest != digest:
                raise Refused(
                    f"request_id {application.request_id!r} was already used for a different "
                    f"application (case {existing.case_no})"
                )
            missing = _missing(existing) if existing.status == CaseStatus.CORRECTION_REQUIRED.value else []
            return SubmitResult(case_no=existing.case_no, status=existing.status, missing=missing, created=False)

    version, catalog = catalog_in_force(session)
    bundle = catalog.single_matter(application.matter) if application.matter else catalog.bundle(application.bundle)
    promises = application.deficiency_promise or application.commitment_matters
    shared = sharing.to_pull(catalog, bundle, application.materials, application.optional_matters)  # 数据共享
    assessment = intake.assess(
        catalog, bundle, [*application.materials, *shared], application.optional_matters,
        deficiency_promise=application.deficiency_promise, commitment_matters=application.commitment_matters,
        credit_blocked=bool(promises) and commitments.has_open_credit_record(session, application.applicant.uscc),
    )
    legal = application.applicant.legal_representative
    case = insert(session, Case, [dict(
        case_no=_next_case_no(session, clock.today),
        request_id=application.request_id,
        request_digest=digest,
        catalog_version=version,
        bundle=bundle.code,
        channel=application.channel,
        applicant_name=application.applicant.name,
        uscc=application.applicant.uscc,
        legal_rep_name=legal.name,
        legal_rep_id_number=legal.id_number,
        agent=application.agent,
        key_project=application.key_project,
        leader=application.leader,
        legal_rep_phone=legal.phone,
        single_matter=bundle.single,
        delivery_mode=application.delivery.mode,
        delivery_address=application.delivery.address,
        visits=1 if application.channel == "window" else 0,  # the applicant came to the window to file it
        status=assessment.status.value,
        promised_days=_promised(bundle.promised_days, application.key_project),
        matters=[p.matter for p in assessment.matters],
        commitment_matters=list(assessment.commitment_matters),
        required_materials=list(assessment.required_materials),
        provided_materials=[m for m in dict.fromkeys([*application.materials, *shared])],
        submitted_at=clock.now,
        last_acted_at=clock.now,
        updated_at=clock.now,
    )], match="case_no")[0]  # a plain row (services.rows), written back once the application is settled
    new_chain(session, case.id)
    record(session, case, clock.now, "submitted", actor, f"{'matter' if bundle.single else 'bundle'} {bundle.code} "
           f"via {case.channel}, results by {case.delivery_mode}"
           + (f" (agent {case.agent})" if case.agent else ""))
    if case.key_project:
        record(session, case, clock.now, "key_project", actor,
               f"green channel: promised limits shortened; responsible leader {case.leader}")
    sharing.queue_at_intake(session, case, catalog, shared, clock)  # once-only: never asked of the applicant
    for note in assessment.notes:
        record(session, case, clock.now, "promise_refused", "system", note)
    if assessment.missing:
        _request_correction(session, case, list(assessment.missing), actor, clock)
    else:
        _accept(session, case, actor, clock, promised=assessment.promised)
    save(session, [case])
    notes = list(assessment.notes) + ([case.due_note] if case.due_note else [])
    return SubmitResult(case_no=case.case_no, status=case.status, missing=list(assessment.missing), created=True,
                        notes=notes, shared=shared)


def _next_case_no(session: Session, today) -> str:
    """`OV{day}{n}`: the day's next number, 1, 2, 3... with no gap on either database. The day's counter row
    stays locked until the submission commits, and a submission rolled back gives its number back."""
    number = raw(session).one(
        "INSERT INTO case_number_day (day, last) VALUES (%(day)s, 1) "
        "ON CONFLICT (day) DO UPDATE SET last = case_number_day.last + 1 RETURNING last", day=today.isoformat())["last"]
    return f"OV{today:%Y%m%d}{number:06d}"


def _check_identifiers(application: ApplicationIn, clock: Clock) -> None:
    problem = uscc_problem(application.applicant.uscc)
    if problem:
        raise BadInput(f"applicant.uscc {application.applicant.uscc!r} is not a valid unified social credit code: {problem}")
    number = application.applicant.legal_representative.id_number
    problem = resident_id_problem(number, today=clock.today)
    if problem:
        raise BadInput(f"applicant.legal_representative.id_number is not a valid resident ID: {problem}")


def _check_channel(session: Session, application: ApplicationIn, who: Actor, clock: Clock) -> None:
    """帮代办: a proxy application is filed by its own agent, under a mandate from the applicant. Also what
    the application's keys must say together: a bundle or one matter, an address to post results to."""
    if (application.bundle is None) == (application.matter is None):
        raise BadInput('an application names its "bundle", or one "matter" applied for alone (事项单办), not both')
    if application.matter is not None and application.optional_matters:
        raise BadInput("optional_matters: a single matter (事项单办) has no optional matters")
    if application.delivery.mode == "post" and application.delivery.address is None:
        raise BadInput('delivery: results by post need "address"')
    if (application.channel == "proxy") != (application.agent is not None):
        raise BadInput('a proxy application names its agent, and only a proxy one: "channel": "proxy", "agent": "ID"')
    if application.key_project != (application.leader is not None):
        raise BadInput('a key project names its responsible leader, and only a key project: "key_project": true, '
                       '"leader": "NAME"')
    if application.key_project and who.role not in ALLOWED[Act.SET_KEY_PROJECT]:
        raise Refused(f"operator {who.id} ({who.role.value}) may not set key_project: only window clerks "
                      "and administrators")
    if who.role is Role.SYSTEM and application.channel != "online":
        raise Forbidden(f"{who.id} files online applications only (\"channel\": \"online\")")
    if who.role is Role.AGENT:
        if application.agent != who.id:
            raise Refused(f"agent {who.id} files only its own proxy applications "
                          f'("channel": "proxy", "agent": "{who.id}")')
    elif application.agent is not None:
        raise Refused(f"a proxy application is submitted by its agent (--operator {application.agent}), "
                      f"not by {who.id}")
    if application.agent is None:
        return
    agent = session.get(Operator, application.agent)
    if agent is None or agent.role != Role.AGENT.value or not agent.enabled:
        raise Refused(f"no enabled agent {application.agent!r}")
    uscc = application.applicant.uscc
    staff.require_mandate(session, agent.id, uscc, Scope.SUBMIT, clock.today)
    if application.deficiency_promise or application.commitment_matters:
        staff.require_mandate(session, agent.id, uscc, Scope.SIGN_COMMITMENT, clock.today)


def _promised(days: int, key_project: bool) -> int:
    return shortened(days, get_settings().key_project_factor) if key_project else days


def _digest(application: ApplicationIn) -> str:
    body = application.model_dump(mode="json")
    for key, unset in (("matter", None), ("delivery", DeliveryIn().model_dump(mode="json"))):
        if body[key] == unset:  # keys added later: an application without them digests as it always did
            del body[key]
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _missing(case: Case) -> list[str]:
    return [m for m in case.required_materials if m not in case.provided_materials]


def _request_correction(session: Session, case: Case, missing: list[str], actor: str, clock: Clock) -> None:
    """补正: every missing material is listed at once."""
    case.status = CaseStatus.CORRECTION_REQUIRED.value
    record(session, case, clock.now, "correction_requested", actor, "missing: " + ", ".join(missing))
    enqueue_notice(session, case, clock.now, "correction_requested", {"missing": missing})


def _accept(session: Session, case: Case, actor: str, clock: Clock, promised: tuple[str, ...] = ()) -> None:
    """受理: open one review task per matter; those without prerequisites start at once.

    Under 容缺 the clock starts when the promise is signed, which is now.
    """
    catalog = catalog_version(session, case.catalog_version)
    bundle = catalog.bundle_of(case.bundle, case.single_matter)
    case.status = CaseStatus.IN_REVIEW.value
    case.accepted_at = clock.now
    refresh_case_due(case, clock)
    replaced = [m for m in catalog.materials_of(case.matters)
                if m not in case.required_materials and m not in case.provided_materials]
    record(session, case, clock.now, "accepted", actor, f"{len(case.matters)} matters to review in parallel"
           + (f"; 容缺 on the promise of {', '.join(promised)}" if promised else "")
           + (f"; 告知承诺 in place of {', '.join(replaced)}" if replaced else ""))
    commitments.sign_at_acceptance(session, case, catalog, promised, actor, clock)
    if case.due_note:
        record(session, case, clock.now, "deadline_unknown", "system", case.due_note)
    rows = []
    for code in case.matters:  # plain rows: building a table model costs more than inserting it
        matter = catalog.matters[code]
        depends_on = [d for d in matter.depends_on if d in case.matters]  # 事项单办: prerequisites already held
        status = initial_status(depends_on)
        row = {"case_id": case.id, "matter": code, "agency": matter.agency,
               "optional": bundle.is_optional(code), "depends_on": depends_on,
               "status": status.value, "promised_days": _promised(matter.promised_days, case.key_project),
               "statutory_days": matter.statutory_days, "requested_materials": [], "supplement_days": 0,
               "special_days": 0, "started_on": None, "due_date": None, "due_note": None, "light": None,
               "dispatched_at": None, "updated_at": clock.now}  # every row has every key: one INSERT takes them all
        if status is TaskStatus.PENDING:
            row.update(started_clock(row["promised_days"], row["statutory_days"], clock))
            if matter.on_the_spot:  # 当场办结: decided at the window as the case is accepted; nothing to dispatch
                row.update(status=TaskStatus.APPROVED.value, light=None, decided_by=actor, decided_at=clock.now,
                           reason=ON_THE_SPOT, dispatched_at=clock.now)
            elif not catalog.endpoint_of(matter.agency):
                row["dispatched_at"] = clock.now  # in the hall's own queue: the agency's work from now (_dispatch)
        rows.append(row)
    # One INSERT for every task (plain rows: table models cost more than the insert); their ids key the
    # dispatches, which go out in the matters' order.
    ids = {task.matter: task.id for task in insert(session, ReviewTask, rows, match="matter")}  # one per matter
    for row in rows:
        if row["status"] == TaskStatus.PENDING.value:
            _dispatch(session, case, ids[row["matter"]], row["matter"], row["agency"], row["due_note"], clock,
                      in_hall=row["dispatched_at"] is not None)
    enqueue_notice(session, case, clock.now, "accepted", {"due_date": iso(case.due_date)})
    decided = [row["matter"] for row in rows if row["status"] == TaskStatus.APPROVED.value]
    for matter in decided:
        record(session, case, clock.now, "approved", actor, f"task {ids[matter]} {matter}: {ON_THE_SPOT}")
    if decided:
        settle_case(session, case, actor=actor, clock=clock)  # releases what they held up; may issue at once


ON_THE_SPOT = "当场办结 (decided at the window on acceptance)"


def _start(session: Session, case: Case, task: ReviewTask, clock: Clock) -> None:
    """A task becomes the agency's work: its clock starts today and it is dispatched to the agency."""
    _start_clock(task, clock)
    in_hall = not catalog_version(session, case.catalog_version).endpoint_of(task.agency)
    if in_hall:
        task.dispatched_at = clock.now
    _dispatch(session, case, task.id, task.matter, task.agency, task.due_note, clock, in_hall=in_hall)


def _start_clock(task: ReviewTask, clock: Clock) -> None:
    task.status = TaskStatus.PENDING.value
    task.started_on = clock.today
    refresh_task_due(task, clock)
    task.updated_at = clock.now


def _dispatch(session: Session, case: Case, task_id: int, matter: str, agency: str, due_note: str | None,
              clock: Clock, *, in_hall: bool) -> None:
    """Hand a started task to its agency. An agency that reviews in the hall's own queue (no endpoint of its
    own in the catalog) has it in this very transaction, `dispatched_at` set by the caller: nothing is left
    for a flow to do, and the reviewer sees it at once. A task for an agency's own system is queued for the
    orchestration, which sends it over HTTP with retries and records the agency's ticket."""
    if due_note:
        record(session, case, clock.now, "deadline_unknown", "system", f"task {task_id} {matter}: {due_note}")
    if in_hall:
        record(session, case, clock.now, "dispatched", "system", f"task {task_id} {matter} to {agency}")
    else:
        enqueue(session, case, clock.now, f"dispatch:task:{task_id}", "dispatch_review", task_id=task_id)


# --- supplement (补正 / 补齐补正) ------------------------------------------------------------


@dataclass(frozen=True)
class SupplementResult:
    case_no: str
    status: str
    received: list[str]
    still_missing: list[str]


def supplement(
    session: Session, case_no: str, materials: Sequence[str], *, actor: str, clock: Clock
) -> SupplementResult:
    """The applicant supplies materials: a correction completes intake, a supplement resumes review."""
    who = staff.authorise(session, actor, Act.SUPPLEMENT)
    if not materials:
        raise BadInput("name at least one --material")
    case = lock_case(session, case_no)
    if who.role is Role.AGENT:
        staff.require_mandate(session, who.id, case.uscc, Scope.SUPPLEMENT, clock.today, case.case_no)
    catalog = catalog_version(session, case.catalog_version)
    known = catalog.material_names()
    for code in materials:
        if code not in known:
            raise BadInput(f"unknown material {code!r}")
    materials = list(dict.fromkeys(materials))

    if case.status == CaseStatus.CORRECTION_REQUIRED.value:
        missing = _missing(case)
        unexpected = [m for m in materials if m not in case.required_materials]
        if unexpected:
            raise BadInput(f"{', '.join(unexpected)} not needed for case {case.case_no} (missing: {', '.join(missing)})")
        case.provided_materials = case.provided_materials + [m for m in materials if m not in case.provided_materials]
        case.updated_at = case.last_acted_at = clock.now
        _count_visit(case, who)
        still = _missing(case)
        record(session, case, clock.now, "materials_received", actor, ", ".join(materials))
        if still:
            record(session, case, clock.now, "correction_pending", "system", "still missing: " + ", ".join(still))
        else:
            _accept(session, case, actor, clock)
        return SupplementResult(case.case_no, case.status, materials, still)

    tasks = tasks_of(session, case.id)
    awaiting = [t for t in tasks if t.status == TaskStatus.SUPPLEMENT_REQUESTED.value]
    awaited = {m for t in awaiting for m in t.requested_materials} | set(commitments.promised_awaited(session, case))
    if not awaited or case.status in {s.value for s in FINISHED_CASE}:
        raise Refused(f"case {case.case_no} is {case.status}: no material is awaited")
    unexpected = [m for m in materials if m not in awaited]
    if unexpected:
        raise Refused(
            f"case {case.case_no} is not waiting for {', '.join(unexpected)} "
            f"(awaited: {', '.join(sorted(awaited))})"
        )
    record(session, case, clock.now, "materials_received", actor, ", ".join(materials))
    case.provided_materials = case.provided_materials + [m for m in materials if m not in case.provided_materials]
    case.updated_at = case.last_acted_at = clock.now
    _count_visit(case, who)
    for task in awaiting:
        remaining = [m for m in task.requested_materials if m not in materials]
        if remaining == task.requested_materials:
            continue
        task.requested_materials = remaining
        task.updated_at = clock.now
        if not remaining:
            task.status = TaskStatus.PENDING.value
            record(session, case, clock.now, "review_resumed", actor, f"task {task.id} {task.matter}")
            resume_clock(session, case, task, actor, clock)
            if case.status == CaseStatus.SUSPENDED.value:
                stop_clock(session, case, task, StopKind.SUSPENDED, "case suspended: promise past due", actor, clock)
    if commitments.keep_promise(session, case, actor, clock):
        settle_case(session, case, actor=actor, clock=clock)  # withheld results go out now, all together
    still = sorted({m for t in awaiting for m in t.requested_materials} | set(commitments.promised_awaited(session, case)))
    return SupplementResult(case.case_no, case.status, materials, still)


def _count_visit(case: Case, who: Actor) -> None:
    """最多跑一次: materials handed in at the window are one more visit of the applicant to the hall."""
    if who.role is Role.WINDOW:
        case.visits += 1


# --- decide (审批决定) -----------------------------------------------------------------------


@dataclass(frozen=True)
class DecideResult:
    task_id: int
    matter: str
    task_status: str
    case_no: str
    case_status: str
    certificates: list[str]
    signed: str | None = None  # the step of the task's sign-off chain this decision signed (初审)


def decide(
    session: Session,
    task_id: int,
    action: Action,
    *,
    operator: str,
    reason: str | None,
    materials: Sequence[str],
    clock: Clock,
    by_agency_system: bool = False,
) -> DecideResult:
    """Record a reviewer's decision and everything that follows from it in the same transaction.

    `by_agency_system`: the decision came from the agency's own review system (pulled by a flow, never
    from the command line); it is recorded as `{AGENCY}@system` and needs no operator's permission.

    The case and its tasks are plain rows (services.rows), written back once the decision is settled.
    """
    case = lock_case_of_task(session, task_id) if 0 < task_id < 2**31 else None
    if case is None:
        raise NotFound(f"no review task {task_id}")
    tasks = task_rows(session, case.id)  # read under the case's lock, then settled from this list
    task = next(t for t in tasks if t.id == task_id)
    steps, step = (), None
    if by_agency_system:
        operator = f"{task.agency}@system"  # its own system ran whatever chain the agency has
    else:
        who = staff.authorise(session, operator, Act.DECIDE, agency=task.agency)
        steps, step = signoffs.check(session, case, task, who)
    if case.status == CaseStatus.SUSPENDED.value:
        raise Refused(f"case {case.case_no} is suspended (a 容缺 promise is past due): no decision until it resumes")
    if materials:
        known = catalog_version(session, case.catalog_version).material_names()
        for code in materials:
            if code not in known:
                raise BadInput(f"unknown material {code!r}")
    decision = check_decision(TaskStatus(task.status), action, reason, materials,
                              in_special_procedure=task.stopped == StopKind.SPECIAL.value)
    held = signoffs.sign(session, case, task, steps, step, action, operator, clock)  # 初审, 审核: not decided yet
    certificates = [] if held else _apply(session, case, tasks, task, action, decision, operator, clock)
    save(session, [case, *tasks])
    return DecideResult(task.id, task.matter, task.status, case.case_no, case.status, certificates,
                        signed=step.name if step and action in (Action.APPROVE, Action.DENY) else None)


def _apply(session: Session, case, tasks: list, task, action: Action, decision, operator: str,
           clock: Clock) -> list[str]:
    """What a checked decision changes: the task, its clock and ledger, and then the whole case."""
    case.last_acted_at = clock.now
    task.updated_at = clock.now
    if action is Action.SPECIAL_START:
        stop_clock(session, case, task, StopKind.SPECIAL, decision.reason, operator, clock)
        return []
    if action is Action.SPECIAL_END:
        resume_clock(session, case, task, operator, clock)
        return []
    task.status = decision.status.value
    task.reason = decision.reason
    if action is Action.SUPPLEMENT:
        task.requested_materials = list(decision.materials)
        record(session, case, clock.now, "supplement_requested", operator,
               f"task {task.id} {task.matter}: " + ", ".join(decision.materials))
        stop_clock(session, case, task, StopKind.SUPPLEMENT, "awaiting " + ", ".join(decision.materials),
                    operator, clock)
        prefix = f"notify:case:{case.id}:supplement_requested:task{task.id}:"
        rounds = len(session.exec(select(OutboxItem.id).where(OutboxItem.key.startswith(prefix))).all()) + sum(
            key.startswith(prefix) for key in session.info.get("outbox", {}))  # queued in this transaction
        enqueue_notice(session, case, clock.now, "supplement_requested",
                       {"matter": task.matter, "materials": list(decision.materials)},
                       unique=f"task{task.id}:{rounds + 1}")
    else:
        resume_clock(session, case, task, operator, clock)  # a decision ends any stop
        task.decided_by = operator
        task.decided_at = clock.now
        task.light = None
        close_ledger(session, task, operator, clock, f"decided: {decision.status.value}")
        detail = f"task {task.id} {task.matter}" + (f": {decision.reason}" if decision.reason else "")
        record(session, case, clock.now, decision.status.value, operator, detail)
    return settle_case(session, case, actor=operator, clock=clock, tasks=tasks)


def settle_case(session: Session, case: Case, *, actor: str, clock: Clock,
                tasks: list[ReviewTask] | None = None) -> list[str]:
    """Apply approvals.review.settle: release, cancel, and issue every certificate together.

    `tasks`: the case's tasks, when the caller has just read them under the case's lock (a decision passes
    its plain rows, services.rows, with the case's row)."""
    if case.status in {s.value for s in FINISHED_CASE} or case.status in (
        CaseStatus.CORRECTION_REQUIRED.value, CaseStatus.SUSPENDED.value
    ):
        return []
    tasks = tasks_of(session, case.id) if tasks is None else tasks
    by_matter = {t.matter: t for t in tasks}
    promise = commitments.open_deficiency(session, case.id)
    if promise is not None:
        commitments.drop_unneeded(session, case, catalog_version(session, case.catalog_version), tasks, promise,
                                  clock)
    outcome = settle(
        [TaskState(t.matter, TaskStatus(t.status), t.optional, tuple(t.depends_on)) for t in tasks],
        withhold=promise is not None and promise.status == CommitmentStatus.OPEN.value,
    )
    for matter, status in outcome.changes.items():
        task = by_matter[matter]
        if status is TaskStatus.PENDING:
            _start(session, case, task, clock)
            record(session, case, clock.now, "released", actor, f"task {task.id} {matter}: prerequisites approved")
        else:
            resume_clock(session, case, task, "system", clock)
            task.status = status.value
            task.light = None
            task.updated_at = clock.now
            close_ledger(session, task, "system", clock, "cancelled: no longer needed")
            record(session, case, clock.now, status.value, "system", f"task {task.id} {matter}: no longer needed")
    if outcome.case_status.value == case.status:
        return []
    case.status = outcome.case_status.value
    case.updated_at = clock.now
    case.light = None
    if outcome.case_status is CaseStatus.AWAITING_MATERIALS:
        record(session, case, clock.now, "results_withheld", "system",
               "every matter approved; results wait for the promised materials (容缺)")
        return []
    if outcome.case_status is CaseStatus.DENIED:
        commitments.void_open(session, case, clock, "case denied")
        case.finished_at = clock.now
        record(session, case, clock.now, "case_denied", actor, "a required matter was denied")
        enqueue_notice(session, case, clock.now, "denied", {})
        return []
    if outcome.case_status in (CaseStatus.ISSUED, CaseStatus.PARTIALLY_ISSUED):
        return _issue(session, case, [by_matter[m] for m in outcome.certify], clock)
    return []


_CERTIFICATES = ("INSERT INTO certificate (number, case_id, task_id, matter, agency, status, issued_at) "
                 "VALUES (%(number)s, %(case_id)s, %(task_id)s, %(matter)s, %(agency)s, %(status)s, %(issued_at)s)")


def _issue(session: Session, case: Case, tasks: list[ReviewTask], clock: Clock) -> list[str]:
    """一个窗口出件: every certificate of the case, one issuance, one timestamp, one notice."""
    db = raw(session)  # plain rows, one statement: a table model per certificate cost more than writing it
    rows = [{"number": f"{case.case_no}-{task.matter}", "case_id": case.id, "task_id": task.id, "matter": task.matter,
             "agency": task.agency, "status": "issued", "issued_at": db.stamp(clock.now)} for task in tasks]
    if rows:
        db.many(_CERTIFICATES, rows)
    numbers = [row["number"] for row in rows]
    case.finished_at = clock.now
    commitments.on_issued(session, case, catalog_version(session, case.catalog_version), [t.matter for t in tasks], clock)
    record(session, case, clock.now, "issued", "system", ", ".join(numbers))
    enqueue(session, case, clock.now, f"deliver:case:{case.id}", "deliver_results")
    return numbers


# --- key projects (重点项目, 绿色通道) -------------------------------------------------------


@dataclass(frozen=True)
class KeyProjectResult:
    case_no: str
    leader: str
    changed: bool
    shortened: int  # open tasks whose promised limit was shortened


def mark_key_project(session: Session, case_no: str, leader: str, *, actor: str, clock: Clock) -> KeyProjectResult:
    """A window clerk or administrator puts a case on the green channel after filing: the promised limits
    of the case and of its open tasks are shortened, and its tasks go first in every queue."""
    staff.authorise(session, actor, Act.SET_KEY_PROJECT)
    if not (leader or "").strip():
        raise BadInput("--leader names the responsible leader")
    leader = clean_name(leader, "--leader")
    case = lock_case(session, case_no)
    if case.key_project:
        return KeyProjectResult(case.case_no, case.leader or "", False, 0)
    if case.status in {s.value for s in FINISHED_CASE}:
        raise Refused(f"case {case.case_no} is {case.status}: too late for the green channel")
    catalog = catalog_version(session, case.catalog_version)
    case.key_project, case.leader, case.updated_at = True, leader, clock.now
    case.promised_days = _promised(catalog.bundle_of(case.bundle, case.single_matter).promised_days, True)
    if case.accepted_at is not None:  # awaiting corrections (补正): the clock starts, shortened, at acceptance
        refresh_case_due(case, clock)
    count = 0
    for task in tasks_of(session, case.id):
        if task.status in (TaskStatus.WAITING.value, TaskStatus.PENDING.value, TaskStatus.SUPPLEMENT_REQUESTED.value):
            task.promised_days = _promised(catalog.matters[task.matter].promised_days, True)
            if task.started_on is not None:
                refresh_task_due(task, clock)
            task.updated_at = clock.now
            count += 1
    record(session, case, clock.now, "key_project", actor,
           f"green channel: promised limits shortened; responsible leader {leader}")
    return KeyProjectResult(case.case_no, leader, True, count)
