"""A person's own data: everything we hold about them (`export-me`), and forgetting them
(`forget-me`).

Forgetting deletes what is personal (profile, goals, enrolments, who-met-whom, confirmations,
messages queued to them) and anonymises what feeds a program's aggregates: the member row
stays as a nameless placeholder (``forgotten:<random>``, no display name) so answer rates,
check-ins, pulse ratings and survey ratings still add up, but every text they wrote is
emptied, their survey answers lose their owner, and their name and platform id are scrubbed
from what others' messages and circles' explanations still carry. Their circles are told only
that someone left.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from circles import notices
from circles.errors import DomainError
from circles.model import (
    AuditEvent,
    CheckIn,
    Circle,
    Goal,
    Member,
    Membership,
    OutboxMessage,
    PairHistory,
    PendingAction,
    Profile,
    Program,
    ProgramMember,
    PromptPost,
    Pulse,
    Response,
    Round,
    SurveyResponse,
)
from circles.outbox import QUEUED
from circles.usecases.context import Actor, audit
from circles.usecases.membership import request_confirmation, take_confirmation
from circles.usecases.memberships import active_memberships

FORGOTTEN = "forgotten:"  # external ids of anonymised members start with this
ANONYMOUS = "someone"


def _iso(v: Any) -> Any:
    return v.isoformat() if isinstance(v, dt.date | dt.datetime) else v


def _row(obj: Any, *names: str) -> dict[str, Any]:
    return {n: _iso(getattr(obj, n)) for n in names}


def export_me(actor: Actor) -> dict[str, Any]:
    """Everything stored about the actor in this workspace, as JSON-ready values."""
    s, m = actor.session, actor.member
    ws = actor.workspace
    profile = s.scalar(select(Profile).where(Profile.workspace_id == ws.id, Profile.member_id == m.id))
    programs = s.execute(select(Program.name, ProgramMember.joined_at, ProgramMember.role,
                                ProgramMember.mentor_capacity)
                         .join(ProgramMember, ProgramMember.program_id == Program.id)
                         .where(ProgramMember.workspace_id == ws.id, ProgramMember.member_id == m.id)
                         .order_by(Program.name)).all()
    circles = s.execute(select(Circle, Membership, Round.number, Program.name)
                        .join(Membership, Membership.circle_id == Circle.id)
                        .join(Round, Round.id == Circle.round_id)
                        .join(Program, Program.id == Round.program_id)
                        .where(Membership.workspace_id == ws.id, Membership.member_id == m.id)
                        .order_by(Circle.id)).all()
    answers = s.execute(select(Response, PromptPost).join(PromptPost, PromptPost.id == Response.prompt_post_id)
                        .where(Response.workspace_id == ws.id, Response.member_id == m.id)
                        .order_by(Response.id)).all()
    mine = {"workspace_id": ws.id, "member_id": m.id}

    def rows(model: Any) -> list[Any]:
        return list(s.scalars(select(model).filter_by(**mine).order_by(model.id)))

    queued = s.scalars(select(OutboxMessage).where(
        OutboxMessage.workspace_id == ws.id, OutboxMessage.target == f"member:{m.id}",
        OutboxMessage.status.in_(QUEUED)).order_by(OutboxMessage.id))
    return {
        "format": "circlebot export-me 1",
        "workspace": {"platform": ws.platform, "id": ws.external_id, "name": ws.name},
        "member": _row(m, "external_id", "display_name", "is_coordinator", "enrolled",
                       "paused_until", "created_at"),
        "profile": None if profile is None else _row(
            profile, "experience", "department", "interests", "goals", "skills_offered",
            "skills_wanted", "timezone", "availability", "never_with"),
        # a role and a mentor's capacity belong to the enrolment in one program
        "enrolments": [{"program": name, "joined_at": _iso(at), "role": role,
                        "mentor_capacity": capacity} for name, at, role, capacity in programs],
        "memberships": [{"program": pname, "round": number, "circle": c.name, "role": ms.role,
                         "active": ms.active} for c, ms, number, pname in circles],
        "answers": [{"prompt": post.text, "cycle": post.cycle, "answer": r.text,
                     "at": _iso(r.created_at)} for r, post in answers],
        "pulses": [_row(p, "circle_id", "cycle", "rating", "comment", "created_at")
                   for p in rows(Pulse)],
        "checkins": [_row(c, "circle_id", "cycle", "status", "created_at") for c in rows(CheckIn)],
        "goals": [_row(g, "number", "text", "due_on", "done", "notes", "created_at")
                  for g in rows(Goal)],
        "survey_answers": [_row(r, "round_id", "helped", "join_again", "suggestion",
                                "goal_outcomes", "created_at") for r in rows(SurveyResponse)],
        "queued_messages": [{"key": o.key, "action": o.action,
                             "notice": (o.payload or {}).get("notice"),
                             "data": (o.payload or {}).get("data"),
                             "not_before": _iso(o.not_before)} for o in queued],
    }


# ------------------------------------------------------------------ forget-me


@dataclass(frozen=True)
class ForgetPlan:
    pending_id: int
    circles: int


@dataclass(frozen=True)
class Forgotten:
    circles_told: int
    already: bool  # nothing was left to forget (a second press)


def ask_to_forget(actor: Actor) -> ForgetPlan:
    """Nothing changes until the person confirms."""
    circles = len(active_memberships(actor.session, actor.member))
    return ForgetPlan(request_confirmation(actor, "forget", {}), circles)


def _blank(s: Session, m: Member) -> bool:
    """A member row with nothing behind it: what a request after forget-me creates."""
    for model in (Profile, Membership, Goal, Response, Pulse, CheckIn, ProgramMember, SurveyResponse):
        if s.scalar(select(model.id).where(model.member_id == m.id).limit(1)) is not None:
            return False
    return not m.is_coordinator


def forget_me(actor: Actor, pending_id: int) -> Forgotten:
    """Confirmed: forget the actor. A second press finds a fresh, empty member row (the one
    this very request created) and quietly forgets that too, with the same reply."""
    try:
        take_confirmation(actor, pending_id, "forget")
    except DomainError:
        if not _blank(actor.session, actor.member):
            raise
        forget(actor.session, actor.member)
        return Forgotten(0, True)
    return Forgotten(forget(actor.session, actor.member), False)


def forget(s: Session, m: Member) -> int:
    """Delete or anonymise everything personal of ``m``; returns how many circles were told
    that someone left."""
    ws, mid = m.workspace_id, m.id
    names = [x for x in (m.external_id, m.display_name) if x and len(x) >= 2]
    told = 0
    for circle, ms in active_memberships(s, m):
        ms.active = False
        notices.to_circle(s, ws, circle.id, f"someone-left:c{circle.id}:{secrets.token_hex(6)}",
                          notices.SomeoneLeft(circle.id))
        told += 1
    drafts = select(Circle.id).join(Round, Round.id == Circle.round_id).where(
        Circle.workspace_id == ws, Round.status == "draft")
    s.execute(delete(Membership).where(Membership.workspace_id == ws, Membership.member_id == mid,
                                       Membership.circle_id.in_(drafts)))  # never published
    for model in (Profile, ProgramMember, Goal, PendingAction):
        s.execute(delete(model).where(model.workspace_id == ws, model.member_id == mid))
    s.execute(delete(PairHistory).where(PairHistory.workspace_id == ws,
                                        or_(PairHistory.member_a == mid, PairHistory.member_b == mid)))
    s.execute(delete(OutboxMessage).where(OutboxMessage.workspace_id == ws,
                                          OutboxMessage.target == f"member:{mid}"))
    s.execute(update(Response).where(Response.workspace_id == ws, Response.member_id == mid)
              .values(text=""))
    s.execute(update(Pulse).where(Pulse.workspace_id == ws, Pulse.member_id == mid).values(comment=""))
    s.execute(update(SurveyResponse).where(SurveyResponse.workspace_id == ws,
                                           SurveyResponse.member_id == mid)
              .values(member_id=None, suggestion=""))
    _unlink(s, ws, mid)
    _scrub_texts(s, ws, names)
    m.external_id = FORGOTTEN + secrets.token_hex(8)
    m.display_name = ""
    m.enrolled = m.is_coordinator = False
    m.paused_until = None
    audit(s, ws, None, "member.forgotten", {})
    s.flush()
    return told


def _unlink(s: Session, ws: int, mid: int) -> None:
    """Others' "never with" lists and rounds' waitlists that hold the member's id."""
    for p in s.scalars(select(Profile).where(Profile.workspace_id == ws)):
        if mid in (p.never_with or []):
            p.never_with = [x for x in p.never_with if x != mid]
    for r in s.scalars(select(Round).where(Round.workspace_id == ws)):
        if str(mid) in (r.waitlist or {}):
            r.waitlist = {k: v for k, v in r.waitlist.items() if k != str(mid)}


def scrub(value: Any, names: list[str]) -> Any:
    """``value`` with every list item equal to a name dropped and every name inside a string
    replaced by "someone" (JSON values: dicts, lists, strings)."""
    if isinstance(value, str):
        for name in names:
            value = value.replace(name, ANONYMOUS)
        return value
    if isinstance(value, list):
        return [scrub(v, names) for v in value if v not in names]
    if isinstance(value, dict):
        return {k: scrub(v, names) for k, v in value.items()}
    return value


def _mentions(value: Any, names: list[str]) -> bool:
    return scrub(value, names) != value


def _scrub_texts(s: Session, ws: int, names: list[str]) -> None:
    """Messages to others (welcomes, "please welcome …"), audit details and circles'
    explanations that carry the name or platform id. Queued messages are rewritten; ones
    already sent (history) are deleted."""
    if not names:
        return
    for o in s.scalars(select(OutboxMessage).where(OutboxMessage.workspace_id == ws)
                       .order_by(OutboxMessage.id)):
        if _mentions(o.payload, names):
            if o.status in QUEUED:
                o.payload = scrub(o.payload, names)
            else:
                s.delete(o)
    for a in s.scalars(select(AuditEvent).where(AuditEvent.workspace_id == ws)):
        if _mentions(a.detail, names):
            a.detail = scrub(a.detail, names)
    for c in s.scalars(select(Circle).where(Circle.workspace_id == ws)):
        if c.explanation and _mentions(c.explanation, names):
            c.explanation = scrub(c.explanation, names)
