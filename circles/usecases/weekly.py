"""The weekly rhythm inside a circle: its prompt, the answers, the check-in and the pulse.
Every record is one row per (circle, cycle, member): a second press changes it, never adds."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from circles import clock, notices
from circles.bulk import among, insert_rows
from circles.errors import DomainError
from circles.health import tallies
from circles.model import (
    CheckIn,
    Circle,
    Member,
    Membership,
    PromptPost,
    Pulse,
    Response,
    Round,
    Workspace,
)
from circles.once import insert_once
from circles.outbox import enqueue_many
from circles.prompts import choose_prompt, choose_prompts
from circles.usecases.context import Actor, find_workspace
from circles.usecases.memberships import active_memberships, only_circle, require_circle_member


@dataclass(frozen=True)
class Recorded:
    """A stored answer, check-in or pulse; ``replaced`` when it overwrote an earlier one."""

    replaced: bool
    cycle: int = 0


@dataclass(frozen=True)
class PromptRef:
    post_id: int
    circle_id: int
    circle_name: str
    cycle: int
    text: str


@dataclass(frozen=True)
class Answer:
    name: str
    text: str


def post_prompt(session: Session, circle: Circle, cycle: int, now: dt.datetime) -> PromptPost | None:
    """Post the week's prompt to a circle once (idempotent per circle and cycle)."""
    existing = session.scalar(
        select(PromptPost).where(PromptPost.workspace_id == circle.workspace_id,
                                 PromptPost.circle_id == circle.id, PromptPost.cycle == cycle)
    )
    if existing is not None:
        return None
    prompt = choose_prompt(session, circle, cycle)
    post = PromptPost(workspace_id=circle.workspace_id, circle_id=circle.id, cycle=cycle,
                      prompt_key=prompt.key, text=prompt.text, posted_at=now)
    session.add(post)
    session.flush()
    notices.to_circle(session, circle.workspace_id, circle.id, f"prompt:{circle.id}:{cycle}",
                      notices.PromptPosted(post.id, cycle, prompt.text), prompt_post_id=post.id)
    return post


def request_checkin_and_pulse(session: Session, circle: Circle, cycle: int) -> None:
    notices.to_circle(session, circle.workspace_id, circle.id, f"checkin:{circle.id}:{cycle}",
                      notices.CheckinDue(circle.id, cycle))


def post_prompts(session: Session, workspace_id: int, program_id: int, circle_ids: list[int], cycle: int,
                 now: dt.datetime) -> int:
    """`post_prompt` for many circles of one program in a handful of statements (the weekly
    sweep for thousands of circles): the same choice of prompt, the same outbox keys and
    payloads, the same skip of a circle whose prompt for ``cycle`` already exists. Returns
    how many prompts were posted; outbox rows follow ``circle_ids`` order."""
    if not circle_ids:
        return 0
    existing = set(session.scalars(select(PromptPost.circle_id).where(
        PromptPost.workspace_id == workspace_id, among(session, PromptPost.circle_id, circle_ids),
        PromptPost.cycle == cycle)))
    todo = [cid for cid in circle_ids if cid not in existing]
    if not todo:
        return 0
    chosen = choose_prompts(session, workspace_id, program_id, todo)
    rows = insert_rows(session, PromptPost, [
        dict(workspace_id=workspace_id, circle_id=cid, cycle=cycle, prompt_key=chosen[cid].key,
             text=chosen[cid].text, posted_at=now) for cid in todo], returning=("circle_id", "id"))
    post_ids = {cid: pid for cid, pid in rows}
    enqueue_many(session, workspace_id, [
        (f"prompt:{cid}:{cycle}", "post", f"circle:{cid}",
         {"circle_id": cid, "prompt_post_id": post_ids[cid],
          **notices.to_payload(notices.PromptPosted(post_ids[cid], cycle, chosen[cid].text))})
        for cid in todo
    ])
    return len(todo)


def request_checkins(session: Session, workspace_id: int, circle_ids: list[int], cycle: int) -> int:
    """`request_checkin_and_pulse` for those of ``circle_ids`` that were prompted in ``cycle``
    (a circle whose prompt was skipped has nothing to check in on), as one batched insert.
    A circle whose next prompt is already out gets none: a check-in after the next week's
    prompt would be out of order."""
    if not circle_ids:
        return 0
    posted = session.execute(select(PromptPost.circle_id, PromptPost.cycle).where(
        PromptPost.workspace_id == workspace_id, among(session, PromptPost.circle_id, circle_ids),
        PromptPost.cycle >= cycle)).all()
    prompted = {cid for cid, k in posted if k == cycle}
    moved_on = {cid for cid, k in posted if k > cycle}
    return enqueue_many(session, workspace_id, [
        (f"checkin:{cid}:{cycle}", "post", f"circle:{cid}",
         {"circle_id": cid, **notices.to_payload(notices.CheckinDue(cid, cycle))})
        for cid in circle_ids if cid in prompted and cid not in moved_on
    ])


def _ref(circle: Circle, post: PromptPost) -> PromptRef:
    return PromptRef(post.id, circle.id, circle.name, post.cycle, post.text)


def current_prompt(actor: Actor) -> PromptRef | None:
    """The newest prompt of the member's first circle that has one."""
    session, m = actor.session, actor.member
    for circle, _ in active_memberships(session, m):
        post = session.scalar(
            select(PromptPost).where(PromptPost.workspace_id == m.workspace_id,
                                     PromptPost.circle_id == circle.id)
            .order_by(PromptPost.cycle.desc()).limit(1)
        )
        if post is not None:
            return _ref(circle, post)
    return None


def _post(session: Session, ws: Workspace, post_id: int) -> PromptPost:
    post = session.scalar(select(PromptPost).where(PromptPost.id == post_id,
                                                   PromptPost.workspace_id == ws.id))
    if post is None:
        raise DomainError("prompt_gone")
    return post


def prompt_for_answer(actor: Actor, post_id: int) -> PromptRef:
    """A prompt the actor may answer (the Answer button's form)."""
    post = _post(actor.session, actor.workspace, post_id)
    circle = require_circle_member(actor.session, actor.member, post.circle_id)
    return _ref(circle, post)


def prompt_in_space(actor: Actor, space: str, message_ref: str | None) -> int | None:
    """The prompt a message in a circle's space answers: the one it replies to (a thread's
    parent), or else the circle's newest prompt. A platform's message id may be unique only
    within its space, so the space is part of the key."""
    session, ws = actor.session, actor.workspace
    q = (select(PromptPost.id).join(Circle, Circle.id == PromptPost.circle_id)
         .where(PromptPost.workspace_id == ws.id, Circle.space_id == space))
    if message_ref is not None:
        return session.scalar(q.where(PromptPost.message_ref == message_ref))
    return session.scalar(q.order_by(PromptPost.cycle.desc()).limit(1))


def _record_response(session: Session, m: Member, post: PromptPost, text: str) -> Recorded:
    require_circle_member(session, m, post.circle_id)
    r = session.scalar(select(Response).where(Response.prompt_post_id == post.id,
                                              Response.member_id == m.id))
    if r is not None:
        r.text = text
        return Recorded(True, post.cycle)
    fresh = Response(workspace_id=m.workspace_id, prompt_post_id=post.id, member_id=m.id,
                     text=text, created_at=clock.at(session))
    session.add(fresh)
    session.flush()
    tallies.answered(session, m.workspace_id, post.circle_id, post.cycle, m.id, fresh.created_at)
    return Recorded(False, post.cycle)


def answer(actor: Actor, text: str, post_id: int | None = None) -> Recorded:
    """Answer a given prompt, or the member's current one."""
    if post_id is None:
        ref = current_prompt(actor)
        if ref is None:
            raise DomainError("nothing_to_answer")
        post_id = ref.post_id
    return _record_response(actor.session, actor.member, _post(actor.session, actor.workspace, post_id),
                            text)


def answers(actor: Actor) -> tuple[PromptRef, list[Answer]]:
    ref = current_prompt(actor)
    if ref is None:
        raise DomainError("no_prompt_yet")
    rows = actor.session.execute(
        select(Member.display_name, Response.text).join(Response, Response.member_id == Member.id)
        .where(Response.workspace_id == actor.workspace.id, Response.prompt_post_id == ref.post_id)
        .order_by(Response.created_at, Response.id)
    ).all()
    return ref, [Answer(name, text) for name, text in rows]


def current_cycle(session: Session, circle: Circle) -> int:
    latest = session.scalar(
        select(func.max(PromptPost.cycle)).where(PromptPost.workspace_id == circle.workspace_id,
                                                 PromptPost.circle_id == circle.id)
    )
    return int(latest or 1)


def _circle_and_cycle(actor: Actor, circle_id: int | None, cycle: int | None) -> tuple[Circle, int]:
    if circle_id is None:
        circle = only_circle(actor.session, actor.member)
    else:
        circle = require_circle_member(actor.session, actor.member, circle_id)
    return circle, cycle if cycle is not None else current_cycle(actor.session, circle)


def check_in(actor: Actor, status: str, circle_id: int | None = None,
             cycle: int | None = None) -> Recorded:
    circle, k = _circle_and_cycle(actor, circle_id, cycle)
    m = actor.member
    row = actor.session.scalar(select(CheckIn).where(CheckIn.circle_id == circle.id,
                                                     CheckIn.cycle == k, CheckIn.member_id == m.id))
    if row is not None:
        tallies.checked_in(actor.session, m.workspace_id, circle.id, k, row.status, status, row.created_at)
        row.status = status
        return Recorded(True, k)
    fresh = CheckIn(workspace_id=m.workspace_id, circle_id=circle.id, cycle=k, member_id=m.id,
                    status=status, created_at=actor.now)
    got, new = insert_once(actor.session, fresh, lambda: actor.session.scalar(select(CheckIn).where(
        CheckIn.circle_id == circle.id, CheckIn.cycle == k, CheckIn.member_id == m.id)))
    if got is None:
        raise DomainError("busy_try_again")
    tallies.checked_in(actor.session, m.workspace_id, circle.id, k, None if new else got.status, status,
                       got.created_at)
    got.status = status  # a double click raced the first: one row, the latest answer
    return Recorded(not new, k)


@dataclass(frozen=True)
class Rated:
    replaced: bool
    circle_id: int
    cycle: int
    rating: int
    has_comment: bool


def pulse(actor: Actor, rating: int, comment: str = "", circle_id: int | None = None,
          cycle: int | None = None) -> Rated:
    circle, k = _circle_and_cycle(actor, circle_id, cycle)
    if not 1 <= rating <= 5:
        raise DomainError("pulse_range")
    m = actor.member
    row = actor.session.scalar(select(Pulse).where(Pulse.circle_id == circle.id, Pulse.cycle == k,
                                                   Pulse.member_id == m.id))
    if row is not None:
        tallies.pulsed(actor.session, m.workspace_id, circle.id, k, row.rating, rating, row.created_at)
        row.rating = rating
        if comment:
            row.comment = comment
        return Rated(True, circle.id, k, rating, bool(comment))
    fresh = Pulse(workspace_id=m.workspace_id, circle_id=circle.id, cycle=k, member_id=m.id,
                  rating=rating, comment=comment, created_at=actor.now)
    got, new = insert_once(actor.session, fresh, lambda: actor.session.scalar(select(Pulse).where(
        Pulse.circle_id == circle.id, Pulse.cycle == k, Pulse.member_id == m.id)))
    if got is None:
        raise DomainError("busy_try_again")
    tallies.pulsed(actor.session, m.workspace_id, circle.id, k, None if new else got.rating, rating,
                   got.created_at)
    if not new:  # a double click raced the first: the same rating, said once
        got.rating = rating
        if comment:
            got.comment = comment
    return Rated(not new, circle.id, k, rating, bool(comment))


def pulse_comment(actor: Actor, circle_id: int, cycle: int, comment: str) -> None:
    circle = require_circle_member(actor.session, actor.member, circle_id)
    row = actor.session.scalar(select(Pulse).where(Pulse.circle_id == circle.id, Pulse.cycle == cycle,
                                                   Pulse.member_id == actor.member.id))
    if row is None:
        raise DomainError("rate_first")
    row.comment = comment


def start_week_now(session: Session, platform: str, workspace: str, cycle: int,
                   now: dt.datetime) -> list[list[str]]:
    """Post cycle ``cycle``'s prompt and check-in to every active circle of a workspace at
    once, without waiting for the schedule (the demo's simulated week). Returns each
    circle's members' platform ids."""
    ws = find_workspace(session, platform, workspace)
    if ws is None:
        return []
    circles = session.scalars(select(Circle).join(Round, Round.id == Circle.round_id).where(
        Circle.workspace_id == ws.id, Round.status == "active").order_by(Circle.id)).all()
    rows = session.execute(select(Membership.circle_id, Member.external_id)
                           .join(Member, Member.id == Membership.member_id)
                           .where(Membership.workspace_id == ws.id, Membership.active.is_(True))
                           .order_by(Member.id)).all()
    members: dict[int, list[str]] = {}
    for cid, ext in rows:
        members.setdefault(cid, []).append(ext)
    for circle in circles:
        post_prompt(session, circle, cycle, now)
        request_checkin_and_pulse(session, circle, cycle)
    return [members.get(c.id, []) for c in circles]
