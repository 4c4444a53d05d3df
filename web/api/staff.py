"""Operators, agents (代办员) and mandates (委托书)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from approvals.errors import Forbidden
from approvals.permissions import Act, Role, check, check_staff_read
from schemas.inputs import AgentIn, MandateIn, RevokeIn
from services.settings import Settings
from web.api.responses import out
from web.deps import CurrentOperator, read_clock, reading, settings_of, write

router = APIRouter(tags=["operators, agents, mandates"])


@router.get("/operators")
def operators(who: CurrentOperator, request: Request, unmasked: bool = False):
    """Every operator and agent, with role, agency and state (phones masked unless an administrator asks)."""
    from services.queries.staff import list_operators

    check_staff_read(who)
    if unmasked:
        check(who, Act.UNMASK)
    with reading(request) as read:
        return out(request, list_operators(read, unmasked=unmasked), unmasked=unmasked)


@router.post("/agents", status_code=201)
def add_agent(body: AgentIn, who: CurrentOperator, request: Request):
    """Register an agent (administrators)."""
    from services import staff

    settings: Settings = settings_of(request)
    row = write(request, lambda s, _clock: staff.add_agent(s, body.id, name=body.name, phone=body.phone, by=who.id,
                                                           now=settings.current_time()))
    return out(request, {"id": row.id, "name": row.name, "role": row.role}, 201)


@router.get("/mandates")
def mandates(who: CurrentOperator, request: Request, agent: str | None = None):
    """Mandates with their state today (an agent: its own)."""
    from services.queries.staff import list_mandates

    check(who, Act.READ)
    if who.role is Role.AGENT:
        if agent not in (None, who.id):
            raise Forbidden(f"agent {who.id} reads its own mandates only")
        agent = who.id
    elif who.role is Role.SYSTEM:
        raise Forbidden(f"{who.id} does not read mandates")
    with reading(request) as read:
        return out(request, list_mandates(read, read_clock(request, read).today, agent=agent))


@router.post("/mandates", status_code=201)
def grant(body: MandateIn, who: CurrentOperator, request: Request):
    """Record a mandate from an applicant to an agent (administrators)."""
    from services import staff

    row = write(request, lambda s, clock: staff.grant_mandate(s, body.agent, body.applicant, ",".join(body.scopes),
                                                              body.valid_until, by=who.id, clock=clock))
    return out(request, {"id": row.id, "agent": row.agent, "applicant": row.uscc, "scopes": row.scopes,
                         "valid_until": row.valid_until}, 201)


@router.post("/mandates/{mandate_id}/revocation")
def revoke(mandate_id: int, body: RevokeIn, who: CurrentOperator, request: Request):
    """Revoke a mandate: the agent's further acts under it are refused (administrators)."""
    from services import staff

    settings: Settings = settings_of(request)
    changed = write(request, lambda s, _clock: staff.revoke_mandate(s, mandate_id, reason=body.reason, by=who.id,
                                                                    now=settings.current_time()))
    return out(request, {"id": mandate_id, "revoked": True, "changed": changed})
