"""A member's enrolments: the programs they joined and their role (and mentor capacity) in
each. A role is per program, so being a mentor in the pods program says nothing about the
peer program."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from circles.errors import DomainError
from circles.model import Member, Program, ProgramMember


@dataclass(frozen=True)
class RoleView:
    """One enrolment as the member sees it."""

    program: str
    role: str
    mentor_capacity: int


def enrolments(session: Session, m: Member) -> list[tuple[Program, ProgramMember]]:
    """Every program the member joined, oldest enrolment first."""
    rows = session.execute(
        select(Program, ProgramMember).join(ProgramMember, ProgramMember.program_id == Program.id)
        .where(ProgramMember.workspace_id == m.workspace_id, ProgramMember.member_id == m.id)
        .order_by(ProgramMember.id)).all()
    return [(p, e) for p, e in rows]


def roles(session: Session, m: Member) -> list[RoleView]:
    return [RoleView(p.name, e.role, e.mentor_capacity) for p, e in enrolments(session, m)]


def enrolment_to_change(session: Session, m: Member, program_name: str) -> tuple[Program, ProgramMember]:
    """The enrolment a role or capacity change is for: the named program's, or else the most
    recent one (the reply names it, so the choice is never silent)."""
    found = enrolments(session, m)
    if not found:
        raise DomainError("role_needs_program")
    if program_name:
        for p, e in found:
            if p.name.lower() == program_name.lower():
                return p, e
        raise DomainError("not_enrolled_in", program=program_name,
                          programs=[p.name for p, _ in found])
    return found[-1]
