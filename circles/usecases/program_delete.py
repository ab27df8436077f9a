"""Deleting a program: asked first, refused while one of its rounds runs, and then every row
that belongs to it (rounds, circles and what happened in them, enrolments, custom prompts,
pending deliveries to its circles) goes, in this workspace only. Goals are a member's own and
stay; the audit log keeps the fact that it was deleted."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, select

from circles.errors import DomainError
from circles.model import (
    CheckIn,
    Circle,
    JobRun,
    Membership,
    OutboxMessage,
    PairHistory,
    Program,
    ProgramMember,
    Prompt,
    PromptPost,
    Pulse,
    Response,
    Round,
    SurveyResponse,
)
from circles.usecases.context import Actor, audit
from circles.usecases.programs import program, program_by_id


@dataclass(frozen=True)
class DeletePlan:
    """What `program delete` would remove, for the coordinator to confirm first."""

    program_id: int
    name: str
    rounds: int
    members: int


def _refuse_if_running(actor: Actor, p: Program) -> None:
    running = actor.session.scalar(select(Round.number).where(
        Round.workspace_id == p.workspace_id, Round.program_id == p.id, Round.status == "active"))
    if running is not None:
        raise DomainError("program_running", name=p.name, number=running)


def program_to_delete(actor: Actor, name: str) -> DeletePlan:
    """Which program would go and how much with it (nothing changes until confirmed)."""
    p = program(actor, name)
    _refuse_if_running(actor, p)
    s = actor.session
    rounds = s.scalar(select(func.count(Round.id)).where(
        Round.workspace_id == p.workspace_id, Round.program_id == p.id, Round.status != "draft")) or 0
    members = s.scalar(select(func.count(ProgramMember.id)).where(
        ProgramMember.workspace_id == p.workspace_id, ProgramMember.program_id == p.id)) or 0
    return DeletePlan(p.id, p.name, rounds, members)


def delete_program(actor: Actor, program_id: int) -> str:
    """Confirmed: remove the program and its data (checked again: a round may have started
    since it was asked). Returns the program's name."""
    p = program_by_id(actor, program_id)
    _refuse_if_running(actor, p)
    s, ws = actor.session, p.workspace_id
    round_ids = list(s.scalars(select(Round.id).where(Round.workspace_id == ws,
                                                      Round.program_id == p.id)))
    circle_ids = list(s.scalars(select(Circle.id).where(Circle.workspace_id == ws,
                                                        Circle.round_id.in_(round_ids)))) \
        if round_ids else []
    if circle_ids:
        post_ids = select(PromptPost.id).where(PromptPost.circle_id.in_(circle_ids))
        s.execute(delete(Response).where(Response.workspace_id == ws,
                                         Response.prompt_post_id.in_(post_ids)))
        for table in (PromptPost, CheckIn, Pulse, Membership):
            s.execute(delete(table).where(table.workspace_id == ws,  # type: ignore[attr-defined]
                                          table.circle_id.in_(circle_ids)))  # type: ignore[attr-defined]
        s.execute(delete(OutboxMessage).where(
            OutboxMessage.workspace_id == ws, OutboxMessage.status != "sent",
            OutboxMessage.target.in_([f"circle:{c}" for c in circle_ids])))
        s.execute(delete(Circle).where(Circle.workspace_id == ws, Circle.id.in_(circle_ids)))
    if round_ids:
        s.execute(delete(PairHistory).where(PairHistory.workspace_id == ws,
                                            PairHistory.round_id.in_(round_ids)))
        s.execute(delete(SurveyResponse).where(SurveyResponse.workspace_id == ws,
                                               SurveyResponse.round_id.in_(round_ids)))
        for rid in round_ids:
            s.execute(delete(JobRun).where(JobRun.workspace_id == ws, JobRun.key.like(f"r{rid}:%")))
        s.execute(delete(Round).where(Round.workspace_id == ws, Round.id.in_(round_ids)))
    s.execute(delete(PairHistory).where(PairHistory.workspace_id == ws,
                                        PairHistory.program_id == p.id))
    s.execute(delete(Prompt).where(Prompt.workspace_id == ws, Prompt.program_id == p.id))
    s.execute(delete(ProgramMember).where(ProgramMember.workspace_id == ws,
                                          ProgramMember.program_id == p.id))
    name = p.name
    s.delete(p)
    s.flush()
    s.info.pop("circles.prompts", None)
    audit(s, ws, actor.member.id, "program.deleted", {"program": program_id, "name": name})
    return name
