"""Programs: what coordinators create, open, close and tune, and the prompts they add."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from circles.errors import DomainError
from circles.model import Program, Prompt, Round, Workspace
from circles.rules import PAIR_KINDS
from circles.timing import Timing, keep_timing
from circles.usecases.context import Actor, audit


@dataclass(frozen=True)
class ProgramView:
    id: int
    name: str
    kind: str
    min_size: int
    max_size: int
    cadence: str
    day: str
    time: str
    timezone: str
    enrolment_open: bool


def view(p: Program) -> ProgramView:
    return ProgramView(p.id, p.name, p.kind, p.min_size, p.max_size, p.cadence, p.day, p.time,
                       p.timezone, p.enrolment_open)


def list_programs(actor: Actor) -> list[ProgramView]:
    return [view(p) for p in programs(actor.session, actor.workspace)]


def programs(session: Session, ws: Workspace) -> list[Program]:
    return list(session.scalars(select(Program).where(Program.workspace_id == ws.id)
                                .order_by(Program.id)))


def resolve_program(session: Session, ws: Workspace, name: str = "", *,
                    open_only: bool = False) -> Program:
    """A named program, or the only (open) one; a clear refusal otherwise."""
    all_programs = programs(session, ws)
    if name:
        for p in all_programs:
            if p.name.lower() == name.lower():
                if open_only and not p.enrolment_open:
                    raise DomainError("program_closed", name=p.name)
                return p
        raise DomainError("program_not_found", name=name, programs=[p.name for p in all_programs])
    candidates = [p for p in all_programs if p.enrolment_open] if open_only else all_programs
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise DomainError("no_open_program" if open_only else "no_programs")
    raise DomainError("ambiguous_program", programs=[p.name for p in candidates])


def program(actor: Actor, name: str) -> Program:
    return resolve_program(actor.session, actor.workspace, name)


def program_by_id(actor: Actor, program_id: int) -> Program:
    p = actor.session.get(Program, program_id)
    if p is None or p.workspace_id != actor.workspace.id:
        raise DomainError("program_gone")
    return p


def create_program(actor: Actor, **fields: Any) -> Program:
    session, ws = actor.session, actor.workspace
    name = fields["name"]
    if any(p.name.lower() == name.lower() for p in programs(session, ws)):
        raise DomainError("program_exists", name=name)
    lo, hi = fields.pop("size", (4, 6))
    if fields.get("kind", "peer") in PAIR_KINDS:
        lo, hi = 2, 2
    p = Program(workspace_id=ws.id, min_size=lo, max_size=hi, created_at=actor.now, **fields)
    session.add(p)
    session.flush()
    audit(session, ws.id, actor.member.id, "program.created", {"program": p.id})
    return p


def set_enrolment(actor: Actor, name: str, open_: bool) -> Program:
    p = program(actor, name)
    if p.enrolment_open == open_:
        raise DomainError("enrolment_unchanged", name=p.name, open=open_)
    p.enrolment_open = open_
    return p


SCHEDULE_COLUMNS = ("cadence", "day", "time", "timezone", "round_weeks")


@dataclass(frozen=True)
class ProgramUpdate:
    """What a settings change does now: the running round keeps its timing (``kept``, when the
    schedule changed) and its circles; a draft already formed keeps the old settings."""

    name: str
    running_round: int | None = None
    kept: Timing | None = None
    draft_round: int | None = None


def update_program(actor: Actor, name: str, changes: dict[str, Any]) -> ProgramUpdate:
    """Change a program's settings; weights merge into the ones already set. A running
    round's schedule is frozen first, so it never moves under a running round (a check-in
    after the next prompt); the new schedule starts with the next round."""
    p = program(actor, name)
    if not changes:
        raise DomainError("nothing_to_change")
    running = _latest(actor, p, "active")
    draft = _latest(actor, p, "draft")
    kept = None
    if running is not None:
        kept = keep_timing(p, running)
        if not any(k in changes for k in SCHEDULE_COLUMNS):
            kept = None
    changes = dict(changes)
    if "weights" in changes:
        changes["weights"] = {**(p.weights or {}), **changes["weights"]}
    if "size" in changes:
        lo, hi = changes.pop("size")
        if p.kind not in PAIR_KINDS:
            p.min_size, p.max_size = lo, hi
    for key, value in changes.items():
        setattr(p, key, value)
    return ProgramUpdate(p.name, running.number if running else None, kept,
                         draft.number if draft else None)


def _latest(actor: Actor, p: Program, status: str) -> Round | None:
    return actor.session.scalar(select(Round).where(
        Round.workspace_id == p.workspace_id, Round.program_id == p.id, Round.status == status)
        .order_by(Round.number.desc()).limit(1))


def add_prompt(actor: Actor, program_name: str, text: str) -> Program:
    p = program(actor, program_name)
    actor.session.add(Prompt(workspace_id=p.workspace_id, program_id=p.id, text=text))
    actor.session.flush()
    actor.session.info.pop("circles.prompts", None)
    return p


@dataclass(frozen=True)
class CustomPrompt:
    number: int  # 1-based, in the order they were added
    text: str


def _custom_prompts(actor: Actor, p: Program) -> list[Prompt]:
    return list(actor.session.scalars(select(Prompt).where(
        Prompt.workspace_id == p.workspace_id, Prompt.program_id == p.id).order_by(Prompt.id)))


def list_prompts(actor: Actor, program_name: str) -> tuple[str, list[CustomPrompt]]:
    """A program's custom prompts, numbered for `prompt remove N`."""
    p = program(actor, program_name)
    return p.name, [CustomPrompt(i, x.text) for i, x in enumerate(_custom_prompts(actor, p), start=1)]


def remove_prompt(actor: Actor, program_name: str, number: int) -> tuple[str, CustomPrompt]:
    """Remove custom prompt N; prompts already posted keep their text."""
    p = program(actor, program_name)
    found = _custom_prompts(actor, p)
    if not 1 <= number <= len(found):
        raise DomainError("no_such_prompt", number=number, count=len(found), program=p.name)
    gone = found[number - 1]
    actor.session.delete(gone)
    actor.session.flush()
    actor.session.info.pop("circles.prompts", None)
    audit(actor.session, p.workspace_id, actor.member.id, "prompt.removed", {"program": p.id})
    return p.name, CustomPrompt(number, gone.text)


def rename_program(actor: Actor, name: str, new_name: str) -> tuple[str, str]:
    """Rename a program; refused when another program already has the new name."""
    p = program(actor, name)
    if any(o.id != p.id and o.name.lower() == new_name.lower()
           for o in programs(actor.session, actor.workspace)):
        raise DomainError("program_exists", name=new_name)
    old, p.name = p.name, new_name
    audit(actor.session, p.workspace_id, actor.member.id, "program.renamed", {"program": p.id})
    return old, new_name
