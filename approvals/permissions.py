"""Who may do what: roles, acts, mandates (委托书) and the green channel for key projects.

Pure rules. The services look up the operator, the task's agency and the agent's mandates, and
ask here; a refusal is `Refused` (exit 1) and is raised before anything is written.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from approvals.errors import BadInput, Forbidden


class Role(StrEnum):
    WINDOW = "window"  # window clerk (窗口受理人员)
    REVIEWER = "reviewer"  # an agency's reviewer (审批人员), bound to one agency
    HEAD = "head"  # an agency's head (负责人), bound to one agency: signs off (签发), approves extensions
    SUPERVISOR = "supervisor"  # supervision (督查督办)
    ADMIN = "admin"  # administrator: operators, agents, mandates, catalog, calendar, credit, reopen
    AGENT = "agent"  # agent (代办员), acting for applicants under their mandates
    SYSTEM = "system"  # another system (the provincial platform, an agency's own review system) with a token
    LEADER = "leader"  # a responsible leader (包联领导): follows key projects and supervision items, reads


STAFF_ROLES = (Role.WINDOW, Role.REVIEWER, Role.HEAD, Role.SUPERVISOR, Role.ADMIN, Role.LEADER)
AGENCY_ROLES = frozenset({Role.REVIEWER, Role.HEAD})  # bound to one agency (`operator add --agency`)


class Act(StrEnum):
    SUBMIT = "submit"
    SUPPLEMENT = "supplement"
    SET_KEY_PROJECT = "set key project"
    DECIDE = "decide"
    VERIFY = "verify"
    REFUSE = "refuse"  # 不予受理 at intake
    WITHDRAW = "withdraw"  # 撤回, recorded for the applicant
    COLLECT = "hand over results"  # 出件: results picked up at the window
    ASK_EXTENSION = "ask for an extension"  # 延期
    APPROVE_EXTENSION = "approve an extension"
    SWEEP = "sweep"  # acting on the supervision ledger by hand
    ADMINISTER = "administer"  # operators, agents, mandates, catalog, calendar, credit repair, reopen, orchestrate
    READ = "read"
    AUDIT = "audit"
    UNMASK = "unmask"
    RATE = "record a rating"  # 好差评 at the window (online, the applicant rates with a token)
    RECTIFY = "rectify"  # 回访, 整改: an agency's reviewers (its own items), the window (the hall's), supervisors
    APPEAL = "appeal a rating"  # 申诉: the rated side
    REVIEW_APPEAL = "review an appeal"  # 复核: uphold or void the rating


ALLOWED: dict[Act, frozenset[Role]] = {
    Act.SUBMIT: frozenset({Role.WINDOW, Role.AGENT}),
    Act.SUPPLEMENT: frozenset({Role.WINDOW, Role.AGENT}),
    Act.SET_KEY_PROJECT: frozenset({Role.WINDOW, Role.ADMIN}),
    Act.DECIDE: frozenset({Role.REVIEWER, Role.HEAD}),  # a head only signs its step of a sign-off chain
    Act.REFUSE: frozenset({Role.WINDOW}),
    Act.WITHDRAW: frozenset({Role.WINDOW, Role.AGENT}),
    Act.COLLECT: frozenset({Role.WINDOW}),
    Act.ASK_EXTENSION: frozenset({Role.REVIEWER}),
    Act.APPROVE_EXTENSION: frozenset({Role.SUPERVISOR, Role.HEAD}),
    Act.VERIFY: frozenset({Role.REVIEWER}),
    Act.SWEEP: frozenset({Role.SUPERVISOR, Role.ADMIN}),
    Act.ADMINISTER: frozenset({Role.ADMIN}),
    Act.READ: frozenset(Role),
    Act.AUDIT: frozenset({Role.SUPERVISOR, Role.ADMIN}),
    Act.UNMASK: frozenset({Role.ADMIN}),
    Act.RATE: frozenset({Role.WINDOW}),
    Act.RECTIFY: frozenset({Role.REVIEWER, Role.WINDOW, Role.SUPERVISOR}),
    Act.APPEAL: frozenset({Role.REVIEWER, Role.WINDOW}),
    Act.REVIEW_APPEAL: frozenset({Role.SUPERVISOR}),
}


# Who the engine's own acts are recorded as (the flows, the sweep, init, the demo, the test staff's maker):
# never a person's id, so nobody's act looks like the engine's on a timeline. `@` is never in an id.
RESERVED_IDS = frozenset({"system", "init", "demo", "tests", "engine", "onevisit", "prefect", "root",
                          "anonymous", "nobody", "unknown"})


def is_reserved(operator_id: str) -> bool:
    """Whether an id is the engine's: one of RESERVED_IDS in any case, or any id with `@` or `:` in it."""
    return operator_id.lower() in RESERVED_IDS or "@" in operator_id or ":" in operator_id


class Scope(StrEnum):
    """What a mandate lets an agent do for the applicant."""

    SUBMIT = "submit"
    SUPPLEMENT = "supplement"
    SIGN_COMMITMENT = "sign_commitment"  # sign 告知承诺 and 容缺 promises
    RECEIVE_RESULTS = "receive_results"  # supplement requests and results go to the agent


class TokenScope(StrEnum):
    """What a system's token lets it do (`token create --scope`)."""

    SUBMIT = "submit"  # the provincial platform (一网通办) files online applications
    SUPPLEMENT = "supplement"
    READ = "read"
    DECIDE = "decide"  # an agency's own review system posts its decisions (bound to that agency)


TOKEN_ACTS: dict[TokenScope, Act] = {TokenScope.SUBMIT: Act.SUBMIT, TokenScope.SUPPLEMENT: Act.SUPPLEMENT,
                                     TokenScope.READ: Act.READ, TokenScope.DECIDE: Act.DECIDE}


@dataclass(frozen=True)
class Actor:
    id: str
    role: Role
    agency: str | None = None
    enabled: bool = True
    acts: frozenset[Act] | None = None  # a system's token: what its scopes allow (None: what the role allows)


def check(actor: Actor, act: Act, *, agency: str | None = None) -> None:
    """Refuse `actor` doing `act` (on a task of `agency`, for decisions and verifications)."""
    if not actor.enabled:
        raise Forbidden(f"operator {actor.id} is disabled" if actor.acts is None else f"{actor.id} is revoked")
    if actor.acts is not None:
        if act not in actor.acts:
            raise Forbidden(f"{actor.id} may not {act.value}: its token has no such scope")
    elif actor.role not in ALLOWED[act]:
        allowed = ", ".join(sorted(r.value for r in ALLOWED[act]))
        raise Forbidden(f"operator {actor.id} ({actor.role.value}) may not {act.value}: only {allowed}")
    if act in _OWN_AGENCY and actor.role is not Role.SUPERVISOR and agency is not None and actor.agency != agency:
        raise Forbidden(f"operator {actor.id} reviews for {actor.agency}, not {agency}: "
                        f"only {agency}'s reviewers {act.value} its tasks")


def check_staff_read(actor: Actor) -> None:
    """The hall's own lists (operators, the ledger, supervision, every case) are staff reads: an agent or an
    agency's system reads its own cases only."""
    check(actor, Act.READ)
    if actor.role in (Role.AGENT, Role.SYSTEM):
        raise Forbidden(f"{actor.id} reads its own cases only")


def own_reads(actor: Actor, named: str | None, what: str) -> str | None:
    """Whose `what` (worklist, mandates) a read may list: an agent only its own, whatever it names; anyone
    else the one named (None: everyone's)."""
    if actor.role is not Role.AGENT:
        return named
    if named not in (None, actor.id):
        raise Forbidden(f"agent {actor.id} reads its own {what} only")
    return actor.id


def bound_agency(actor: Actor) -> str | None:
    """The one agency whose tasks `actor` may see: a reviewer's, or an agency-bound token's (None: any)."""
    return actor.agency if actor.role in (Role.REVIEWER, Role.HEAD, Role.SYSTEM) else None


def check_task_read(actor: Actor, agency: str) -> None:
    """A reviewer (or an agency's system) reads its own agency's tasks only, whatever id it names."""
    bound = bound_agency(actor)
    if bound is not None and bound != agency:
        raise Forbidden(f"{actor.id} reads {bound}'s tasks only, not {agency}'s")


def parse_token_scopes(text: str, agency: str | None) -> frozenset[TokenScope]:
    """`submit,read` as given to `token create`; deciding needs a token bound to one agency."""
    names = [part.strip() for part in text.split(",") if part.strip()]
    known = [s.value for s in TokenScope]
    unknown = [n for n in names if n not in known]
    if not names or unknown:
        raise BadInput(f"unknown scope {unknown[0]!r} (one of: {', '.join(known)})" if unknown
                       else "--scope names at least one of: " + ", ".join(known))
    scopes = frozenset(TokenScope(n) for n in names)
    if TokenScope.DECIDE in scopes and not agency:
        raise BadInput("a token that decides is bound to one agency: give --agency CODE")
    return scopes


_OWN_AGENCY = (Act.DECIDE, Act.VERIFY, Act.ASK_EXTENSION, Act.APPROVE_EXTENSION)


@dataclass(frozen=True)
class Mandate:
    id: int
    agent: str
    uscc: str
    scopes: frozenset[Scope]
    until: date
    revoked: bool = False


def parse_scopes(text: str) -> frozenset[Scope]:
    """`submit,supplement,...` as given on the command line."""
    names = [part.strip() for part in text.split(",") if part.strip()]
    if not names:
        raise BadInput("--scope names at least one of: " + ", ".join(s.value for s in Scope))
    unknown = [n for n in names if n not in {s.value for s in Scope}]
    if unknown:
        raise BadInput(f"unknown scope {unknown[0]!r} (one of: {', '.join(s.value for s in Scope)})")
    return frozenset(Scope(n) for n in names)


def mandate_problem(mandate: Mandate | None, agent: str, uscc: str, scope: Scope, today: date) -> str | None:
    """Why `agent` may not act for `uscc` under `mandate` today (None: it may)."""
    if mandate is None:
        return f"agent {agent} holds no mandate from applicant {uscc}"
    if mandate.revoked:
        return f"agent {agent}'s mandate {mandate.id} from applicant {uscc} was revoked"
    if mandate.until < today:
        return f"agent {agent}'s mandate {mandate.id} from applicant {uscc} expired on {mandate.until.isoformat()}"
    if scope not in mandate.scopes:
        return f"agent {agent}'s mandate {mandate.id} from applicant {uscc} does not cover {scope.value}"
    return None


def best_mandate(mandates: list[Mandate], today: date, scope: Scope) -> Mandate | None:
    """Of an agent's mandates from one applicant, one that allows `scope` today, else the latest one
    (whose problem then explains the refusal)."""
    for m in mandates:
        if mandate_problem(m, m.agent, m.uscc, scope, today) is None:
            return m
    return max(mandates, key=lambda m: m.id, default=None)


def shortened(days: int, factor: float) -> int:
    """A key project's promised limit (绿色通道): `days` × factor, rounded up, at least 1 working day."""
    return max(1, math.ceil(days * factor - 1e-9))
