"""Use cases on a case: submit at the window, supplement materials, decide a review, the green channel.

Each takes a Session inside an open unit of work and reads like the others: load the case aggregate
(`services.case_repository`), call it (`approvals.casefile`), and leave: the caller commits once, and the
commit writes what changed. What is checked here is who may act and what they typed; the rules are the
aggregate's.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session

from approvals import intake
from approvals.case_parts import Policy
from approvals.casefile import CaseFile
from approvals.deadlines import Clock, StopKind
from approvals.errors import BadInput, Forbidden, Refused
from approvals.identifiers import resident_id_problem, uscc_problem
from approvals.permissions import ALLOWED, Act, Actor, Role, Scope
from approvals.review import Action, CaseStatus, check_decision
from approvals.text import clean_name
from schemas.case import ApplicationIn, DeliveryIn, SubmitResult
from schemas.staff import Operator
from services import commitments, sharing, signoffs, staff
from services.case_repository import cases
from services.catalog import CATALOG_IN_FORCE, catalog_in_force, catalog_version
from services.db import raw
from services.queries.connection import OVERRIDES
from services.settings import get_settings


_BY_REQUEST = "SELECT case_no, request_digest FROM case_file WHERE request_id = %(request_id)s"


def policy() -> Policy:
    return Policy(key_project_factor=get_settings().key_project_factor)


# --- submit (受理) -------------------------------------------------------------------------


def submit(session: Session, application: ApplicationIn, *, actor: str, clock: Clock) -> SubmitResult:
    """File one application at the window. The same request_id never makes a second case."""
    db = raw(session)  # what a submission reads first, asked together: one round trip on PostgreSQL
    staff.ask_ahead(session, actor)
    db.ahead("catalog in force", CATALOG_IN_FORCE)
    db.ahead("overrides", OVERRIDES)
    if application.request_id is not None:
        db.ahead("request", _BY_REQUEST, request_id=application.request_id)
    with db.together():
        pass
    who = staff.authorise(session, actor, Act.SUBMIT)
    _check_identifiers(application, clock)
    _check_channel(session, application, who, clock)
    digest = _digest(application)
    if application.request_id is not None:
        found = db.answer("request", _BY_REQUEST, request_id=application.request_id)
        if found:
            existing = found[0]
            if existing["request_digest"] != digest:
                raise Refused(
                    f"request_id {application.request_id!r} was already used for a different "
                    f"application (case {existing['case_no']})"
                )
            case = cases(session).get(existing["case_no"])
            missing = case.missing() if case.status is CaseStatus.CORRECTION_REQUIRED else []
            return SubmitResult(case_no=case.case_no, status=case.status, missing=missing, created=False)

    version, catalog = catalog_in_force(session)
    bundle = catalog.single_matter(application.matter) if application.matter else catalog.bundle(application.bundle)
    promises = application.deficiency_promise or application.commitment_matters
    shared = sharing.to_pull(catalog, bundle, application.materials, application.optional_matters)  # 数据共享
    assessment = intake.assess(
        catalog, bundle, [*application.materials, *shared], application.optional_matters,
        deficiency_promise=application.deficiency_promise, commitment_matters=application.commitment_matters,
        credit_blocked=bool(promises) and commitments.has_open_credit_record(session, application.applicant.uscc),
    )
    legal, rules = application.applicant.legal_representative, policy()
    case_no, case_id, task_ids = cases(session).numbers_for_a_new_case(
        clock.today, tasks=0 if assessment.missing else len(assessment.matters))
    case = CaseFile(
        id=case_id, case_no=case_no, request_id=application.request_id, request_digest=digest,
        catalog_version=version, bundle=bundle.code, channel=application.channel,
        applicant_name=application.applicant.name, uscc=application.applicant.uscc, legal_rep_name=legal.name,
        legal_rep_id_number=legal.id_number, legal_rep_phone=legal.phone, agent=application.agent,
        key_project=application.key_project, leader=application.leader, single_matter=bundle.single,
        delivery_mode=application.delivery.mode, delivery_address=application.delivery.address,
        visits=1 if application.channel == "window" else 0,  # the applicant came to the window to file it
        status=assessment.status, promised_days=rules.promised(bundle.promised_days, application.key_project),
        matters=[p.matter for p in assessment.matters], commitment_matters=list(assessment.commitment_matters),
        required_materials=list(assessment.required_materials),
        provided_materials=list(dict.fromkeys([*application.materials, *shared])),
        submitted_at=clock.now, last_acted_at=clock.now, updated_at=clock.now,
    )
    cases(session).add(case)
    case.record(clock.now, "submitted", actor, f"{'matter' if bundle.single else 'bundle'} {bundle.code} "
                f"via {case.channel}, results by {case.delivery_mode}" + (f" (agent {case.agent})" if case.agent else ""))
    if case.key_project:
        case.record(clock.now, "key_project", actor,
                    f"green channel: promised limits shortened; responsible leader {case.leader}")
    sharing.queue_at_intake(case, catalog, shared, clock)  # once-only: never asked of the applicant
    for note in assessment.notes:
        case.record(clock.now, "promise_refused", "system", note)
    if assessment.missing:
        case.request_correction(list(assessment.missing), actor, clock)
    else:
        case.accept(catalog, rules, task_ids, actor, clock, promised=assessment.promised)
    notes = list(assessment.notes) + ([case.due_note] if case.due_note else [])
    return SubmitResult(case_no=case.case_no, status=case.status, missing=list(assessment.missing), created=True,
                        notes=notes, shared=shared)


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
        raise Refused(f"operator {who.id} ({who.role}) may not set key_project: only window clerks "
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
    if agent is None or agent.role is not Role.AGENT or not agent.enabled:
        raise Refused(f"no enabled agent {application.agent!r}")
    uscc = application.applicant.uscc
    staff.require_mandate(session, agent.id, uscc, Scope.SUBMIT, clock.today)
    if application.deficiency_promise or application.commitment_matters:
        staff.require_mandate(session, agent.id, uscc, Scope.SIGN_COMMITMENT, clock.today)


def _digest(application: ApplicationIn) -> str:
    body = application.model_dump(mode="json")
    for key, unset in (("matter", None), ("delivery", DeliveryIn().model_dump(mode="json"))):
        if body[key] == unset:  # keys added later: an application without them digests as it always did
            del body[key]
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


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
    case = cases(session).get(case_no)
    if who.role is Role.AGENT:
        staff.require_mandate(session, who.id, case.uscc, Scope.SUPPLEMENT, clock.today, case.case_no)
    catalog = catalog_version(session, case.catalog_version)
    known = catalog.material_names()
    for code in materials:
        if code not in known:
            raise BadInput(f"unknown material {code!r}")
    materials = list(dict.fromkeys(materials))
    still = case.supply(materials, actor, catalog, policy(), clock,
                        lambda count: cases(session).reserve("review_task", count), at_window=who.role is Role.WINDOW)
    return SupplementResult(case.case_no, case.status, materials, still)


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
    from the command line); it is recorded as `{AGENCY}@system` and needs no operator's permission."""
    if not by_agency_system:
        staff.ask_ahead(session, operator)  # read with the case: its task's agency says what may be decided
    case = cases(session).of_task(task_id)
    task = case.task(task_id)
    steps, step = (), None
    if by_agency_system:
        operator = f"{task.agency}@system"  # its own system ran whatever chain the agency has
    else:
        who = staff.authorise(session, operator, Act.DECIDE, agency=task.agency)
        steps, step = signoffs.check(session, case, task, who)
    case.check_decidable()
    catalog = catalog_version(session, case.catalog_version)
    if materials:
        known = catalog.material_names()
        for code in materials:
            if code not in known:
                raise BadInput(f"unknown material {code!r}")
    decision = check_decision(task.status, action, reason, materials,
                              in_special_procedure=task.stopped is StopKind.SPECIAL)
    held = case.sign(task, steps, step, action, operator, clock)  # 初审, 审核: not decided yet
    certificates = [] if held else case.decide(task, decision, operator, catalog, clock,
                                               supplement_round=_supplement_round(session, case.id, task.id, action))
    return DecideResult(task.id, task.matter, task.status, case.case_no, case.status, certificates,
                        signed=step.name if step and action in (Action.APPROVE, Action.DENY) else None)


def _supplement_round(session: Session, case_id: int, task_id: int, action: Action) -> int:
    """Which request for materials on the task this one is (each gets its own notice)."""
    if action is not Action.SUPPLEMENT:
        return 1
    prefix = f"notify:case:{case_id}:supplement_requested:task{task_id}:"
    found = raw(session).one('SELECT count(*) AS n FROM outbox_item WHERE substr("key", 1, %(length)s) = %(prefix)s',
                             length=len(prefix), prefix=prefix)
    return found["n"] + 1


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
    case = cases(session).get(case_no)
    if case.key_project:
        return KeyProjectResult(case.case_no, case.leader or "", False, 0)
    count = case.mark_key_project(leader, catalog_version(session, case.catalog_version), policy(), actor, clock)
    return KeyProjectResult(case.case_no, leader, True, count)
