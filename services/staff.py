"""Operators, agents and mandates, and the permission check every acting use case starts with.

A refusal is raised before the use case writes anything, so a refused command leaves no trace.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, select

from approvals import permissions
from approvals.deadlines import Clock
from approvals.errors import BadInput, NotFound, Refused
from approvals.identifiers import uscc_problem
from approvals.permissions import Act, Actor, Role, Scope
from approvals.text import clean_name
from schemas.access import WebSession
from schemas.staff import Mandate, Operator
from services.catalog import catalog_in_force
from services.db import raw
from services.queries import staff as queries_staff

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_PHONE = re.compile(r"^\+?[0-9][0-9 -]{5,18}[0-9]$")


def actor(session: Session, operator_id: str) -> Actor:
    """The operator (or a system with its token) behind an action, read in the action's transaction."""
    return queries_staff.operator(raw(session), operator_id)


def ask_ahead(session: Session, operator_id: str) -> None:
    """The operator is read with the action's next pipelined read (one round trip fewer on PostgreSQL)."""
    queries_staff.ask_ahead(raw(session), operator_id)


def authorise(session: Session, operator_id: str, act: Act, *, agency: str | None = None) -> Actor:
    """The operator, if it may do `act` (on a task of `agency`); refused otherwise."""
    who = actor(session, operator_id)
    permissions.check(who, act, agency=agency)
    session.info["actor"] = who.id  # who the system chain records for what this transaction changes
    return who


# --- operators -----------------------------------------------------------------------------


def add_operator(session: Session, operator_id: str, role: Role | str, *, agency: str | None, name: str,
                 phone: str | None, by: str, now: datetime, bootstrap: bool = False) -> Operator:
    """An administrator adds a window clerk, a reviewer or the head of one agency, a supervisor or an administrator."""
    if not bootstrap:
        authorise(session, by, Act.ADMINISTER)
    session.info.setdefault("actor", by)
    _check_id(operator_id)
    if role not in permissions.STAFF_ROLES:
        raise BadInput(f"unknown role {role!r} (one of: {', '.join(sorted(permissions.STAFF_ROLES))}; "
                       "agents: onevisit agent add)")
    role = Role(role)
    if role in permissions.AGENCY_ROLES:
        if not agency:
            raise BadInput(f"a {role} works for one agency: give --agency CODE")
        _, catalog = catalog_in_force(session)
        if agency not in catalog.agencies:
            raise BadInput(f"unknown agency {agency!r} (known: {', '.join(sorted(catalog.agencies))})")
    elif agency:
        raise BadInput(f"--agency is for reviewers and heads, not {role}")
    name = clean_name(name, "--name") if name else operator_id
    return _add(session, Operator(id=operator_id, role=role, agency=agency, name=name, phone=phone_number(phone),
                                  created_at=now, created_by=by))


def add_agent(session: Session, agent_id: str, *, name: str, phone: str | None, by: str, now: datetime) -> Operator:
    """An administrator registers an agent (代办员), who then acts under its own id."""
    authorise(session, by, Act.ADMINISTER)
    _check_id(agent_id)
    name = clean_name(name, "--name")
    return _add(session, Operator(id=agent_id, role=Role.AGENT, name=name, phone=phone_number(phone),
                                  created_at=now, created_by=by))


def ensure_admin(session: Session, admin_id: str, now: datetime) -> bool:
    """`init`: the first administrator, on a database with no operator yet (later administrators are added by
    an administrator: `init --admin` on a staffed database creates nobody). True when it was created now."""
    _check_id(admin_id)
    existing = session.get(Operator, admin_id)
    if existing is not None:
        if existing.role != Role.ADMIN:
            raise Refused(f"operator {admin_id} exists and is a {existing.role}, not an administrator")
        return False
    if session.exec(select(Operator.id).limit(1)).first() is not None:
        return False
    add_operator(session, admin_id, Role.ADMIN, agency=None, name="administrator", phone=None, by="init",
                 now=now, bootstrap=True)
    return True


def admin_absent(session: Session, admin_id: str) -> bool:
    return session.get(Operator, admin_id) is None


def staff_the_hall(session: Session, now: datetime, *, windows: tuple[str, ...] = ("window-1",),
                   supervisors: tuple[str, ...] = (), reviewer_suffixes: tuple[str, ...] = ("",)) -> int:
    """A service hall's staff in one go, for demos, benchmarks and tests: the administrator `admin`,
    window clerks, supervisors and, for every agency of the catalog, `{AGENCY}-reviewer{suffix}`.
    Who exists already is left as is. Returns how many were added."""
    ensure_admin(session, "admin", now)
    _, catalog = catalog_in_force(session)
    people = [(who, Role.WINDOW, None) for who in windows]
    people += [(who, Role.SUPERVISOR, None) for who in supervisors]
    people += [(f"{agency}-reviewer{suffix}", Role.REVIEWER, agency)
               for agency in catalog.agencies for suffix in reviewer_suffixes]
    added = 0
    for who, role, agency in people:
        if session.get(Operator, who) is None:
            add_operator(session, who, role, agency=agency, name=who, phone=None, by="admin", now=now, bootstrap=True)
            added += 1
    return added


def disable_operator(session: Session, operator_id: str, *, by: str, now: datetime) -> bool:
    """Disabled operators keep their history but can neither act nor read. False if already disabled."""
    authorise(session, by, Act.ADMINISTER)
    if operator_id == by:
        raise Refused("an administrator cannot disable itself")
    row = session.get(Operator, operator_id)
    if row is None:
        raise NotFound(f"no operator {operator_id!r}")
    if not row.enabled:
        return False
    row.enabled, row.disabled_at, row.disabled_by = False, now, by
    for signed_in in session.exec(select(WebSession).where(WebSession.operator_id == operator_id,
                                                           WebSession.ended_at.is_(None))):
        signed_in.ended_at = now  # signed out at once (and refused at its next request anyway)
    return True


def _add(session: Session, row: Operator) -> Operator:
    if session.get(Operator, row.id) is not None:
        raise Refused(f"operator {row.id!r} already exists")
    session.add(row)
    session.flush()
    return row


def _check_id(operator_id: str) -> None:
    if not _ID.match(operator_id or ""):
        raise BadInput(f"{operator_id!r} is not an operator id (letters, digits, '.', '_', '-'; at most 64)")
    if permissions.is_reserved(operator_id):
        raise BadInput(f"{operator_id!r} is reserved for the engine's own acts (system, init...): choose another id")


def phone_number(phone: str | None) -> str | None:
    """A phone number as given (--phone), trimmed; bad input when it is not one."""
    if phone is None:
        return None
    if not _PHONE.match(phone.strip()):
        raise BadInput(f"--phone {phone!r} is not a phone number")
    return phone.strip()


# --- mandates (委托书) ----------------------------------------------------------------------


def grant_mandate(session: Session, agent_id: str, uscc: str, scopes: str, until: date, *, by: str,
                  clock: Clock) -> Mandate:
    authorise(session, by, Act.ADMINISTER)
    parsed = permissions.parse_scopes(scopes)
    uscc = uscc.strip().upper()
    problem = uscc_problem(uscc)
    if problem:
        raise BadInput(f"--applicant {uscc!r} is not a valid unified social credit code: {problem}")
    if until < clock.today:
        raise BadInput(f"--until {until.isoformat()} is in the past")
    agent = session.get(Operator, agent_id)
    if agent is None or agent.role != Role.AGENT:
        raise NotFound(f"no agent {agent_id!r} (onevisit agent add)")
    if not agent.enabled:
        raise Refused(f"agent {agent_id} is disabled")
    mandate = Mandate(agent=agent_id, uscc=uscc, scopes=sorted(s.value for s in parsed), valid_until=until,
                      granted_at=clock.now, granted_by=by)
    session.add(mandate)
    session.flush()
    return mandate


def revoke_mandate(session: Session, mandate_id: int, *, reason: str, by: str, now: datetime) -> bool:
    authorise(session, by, Act.ADMINISTER)
    mandate = session.get(Mandate, mandate_id) if 0 < mandate_id < 2**31 else None
    if mandate is None:
        raise NotFound(f"no mandate {mandate_id}")
    if mandate.revoked_at is not None:
        return False
    if not reason.strip():
        raise BadInput("--reason is required to revoke a mandate")
    mandate.revoked_at, mandate.revoked_by, mandate.revoke_reason = now, by, reason.strip()
    return True


def mandate_for(session: Session, agent_id: str, uscc: str, scope: Scope, today: date) -> permissions.Mandate | None:
    """A mandate under which `agent_id` may do `scope` for `uscc` today, else the one that explains why not."""
    rows = session.exec(select(Mandate).where(Mandate.agent == agent_id, Mandate.uscc == uscc)
                        .order_by(Mandate.id)).all()
    return permissions.best_mandate([_pure(m) for m in rows], today, scope)


def require_mandate(session: Session, agent_id: str, uscc: str, scope: Scope, today: date,
                    case_no: str | None = None) -> permissions.Mandate:
    mandate = mandate_for(session, agent_id, uscc, scope, today)
    problem = permissions.mandate_problem(mandate, agent_id, uscc, scope, today)
    if problem:
        raise Refused(problem + (f": case {case_no} goes on at the window" if case_no else ""))
    return mandate


def _pure(row: Mandate) -> permissions.Mandate:
    return permissions.Mandate(row.id, row.agent, row.uscc, frozenset(Scope(s) for s in row.scopes),
                               row.valid_until, row.revoked_at is not None)


@dataclass(frozen=True)
class Recipient:
    """Who a notice goes to: the applicant, or its agent when a mandate routes results to the agent."""

    to: str
    agent: str | None


def recipient(session: Session, case, today: date) -> Recipient:
    if case.agent:
        mandate = mandate_for(session, case.agent, case.uscc, Scope.RECEIVE_RESULTS, today)
        if permissions.mandate_problem(mandate, case.agent, case.uscc, Scope.RECEIVE_RESULTS, today) is None:
            return Recipient(f"agent {case.agent} for {case.applicant_name}", case.agent)
    return Recipient(case.applicant_name, None)
