"""Key projects (重点项目) as projects: one enterprise's investment, its cases, its responsible leader (“五个一”)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlmodel import Session, select

from approvals.deadlines import Clock
from approvals.errors import BadInput, Refused
from approvals.identifiers import uscc_problem
from approvals.permissions import Act, Role
from schemas.project import KeyProject, KeyProjectCase
from schemas.staff import Operator
from services import staff
from services.cases import mark_key_project
from services.case_repository import cases

STAGES = ("land", "planning", "construction", "completion")  # 用地, 规划, 施工, 竣工
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclass(frozen=True)
class ProjectResult:
    code: str
    leader: str
    created: bool


def add_project(session: Session, *, code: str, name: str, uscc: str, leader: str, team: str, plan: str,
                actor: str, clock: Clock) -> ProjectResult:
    """One leader, one team, one plan: the leader is an enabled operator with the leader role."""
    staff.authorise(session, actor, Act.SET_KEY_PROJECT)
    if not _CODE.match(code):
        raise BadInput(f"project code {code!r}: letters, digits, '.', '_' or '-', at most 64")
    name = name.strip()
    if not name or len(name) > 200:
        raise BadInput("--name is 1 to 200 characters")
    uscc = uscc.strip().upper()
    problem = uscc_problem(uscc)
    if problem:
        raise BadInput(f"{uscc!r} is not a valid unified social credit code: {problem}")
    person = session.get(Operator, leader)
    if person is None or person.role != Role.LEADER or not person.enabled:
        raise BadInput(f"--leader {leader!r} is not an enabled operator with the leader role "
                       "(onevisit operator add ID --role leader)")
    found = session.exec(select(KeyProject).where(KeyProject.code == code)).first()
    if found is not None:
        if (found.name, found.uscc, found.leader) != (name, uscc, leader):
            raise Refused(f"project {code} exists with another name, enterprise or leader")
        return ProjectResult(code, leader, False)
    session.add(KeyProject(code=code, name=name, uscc=uscc, leader=leader, team=team.strip(), plan=plan.strip(),
                           created_at=clock.now, created_by=actor))
    return ProjectResult(code, leader, True)


def attach_case(session: Session, code: str, case_no: str, *, stage: str, actor: str, clock: Clock) -> bool:
    """A case joins its project at a stage; it goes on the green channel with the project's leader.
    Returns False when it was attached already (same project and stage)."""
    staff.authorise(session, actor, Act.SET_KEY_PROJECT)
    if stage not in STAGES:
        raise BadInput(f"unknown stage {stage!r} (one of: {', '.join(STAGES)})")
    project = session.exec(select(KeyProject).where(KeyProject.code == code)).first()
    if project is None:
        raise Refused(f"no key project {code}")
    case = cases(session).get(case_no)
    if case.uscc != project.uscc:
        raise Refused(f"case {case_no} is {case.applicant_name}'s, not the project's enterprise ({project.uscc})")
    link = session.get(KeyProjectCase, case.id)
    if link is not None:
        if link.project_id != project.id or link.stage != stage:
            raise Refused(f"case {case_no} already belongs to a key project at stage {link.stage}")
        return False
    leader = session.get(Operator, project.leader)
    mark_key_project(session, case_no, leader.name or leader.id, actor=actor, clock=clock)
    session.add(KeyProjectCase(case_id=case.id, project_id=project.id, stage=stage, added_at=clock.now))
    return True
