"""A member's goals. The command and the end-of-round button share one path, so both refuse
a goal that is already done."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select

from circles.errors import DomainError
from circles.model import Goal
from circles.once import insert_once
from circles.usecases.context import Actor


@dataclass(frozen=True)
class GoalView:
    number: int
    text: str
    due_on: dt.date | None
    done: bool
    notes: int
    latest_note: str | None


def view(g: Goal) -> GoalView:
    return GoalView(g.number, g.text, g.due_on, g.done, len(g.notes or []),
                    g.notes[-1]["text"] if g.notes else None)


def goals(actor: Actor, open_only: bool = False) -> list[GoalView]:
    m = actor.member
    q = select(Goal).where(Goal.workspace_id == m.workspace_id, Goal.member_id == m.id)
    if open_only:
        q = q.where(Goal.done.is_(False))
    return [view(g) for g in actor.session.scalars(q.order_by(Goal.number))]


def set_goal(actor: Actor, text: str, due: dt.date | None, today: dt.date) -> GoalView:
    """A new goal numbered after the member's highest. Setting the same open goal again
    (a double submission) answers with that goal instead of adding a twin; two different
    goals set at once both get a number, because (member, number) is unique and a number
    taken by a racing request is simply retried with the next one."""
    if due is not None and due < today:
        raise DomainError("due_in_past", due=due)
    m = actor.member
    for _ in range(5):
        same = _same_open_goal(actor, text, due)
        if same is not None:
            return view(same)
        number = (actor.session.scalar(select(func.max(Goal.number)).where(
            Goal.workspace_id == m.workspace_id, Goal.member_id == m.id)) or 0) + 1
        g = Goal(workspace_id=m.workspace_id, member_id=m.id, number=number, text=text,
                 due_on=due, created_at=actor.now)
        got, _ = insert_once(actor.session, g, lambda: _same_open_goal(actor, text, due))
        if got is not None:
            return view(got)
    raise DomainError("busy_try_again")


def _same_open_goal(actor: Actor, text: str, due: dt.date | None) -> Goal | None:
    m = actor.member
    return actor.session.scalar(select(Goal).where(
        Goal.workspace_id == m.workspace_id, Goal.member_id == m.id, Goal.text == text,
        Goal.done.is_(False), Goal.due_on.is_(None) if due is None else Goal.due_on == due)
        .order_by(Goal.number).limit(1))


def _by_number(actor: Actor, number: int) -> Goal:
    m = actor.member
    g = actor.session.scalar(select(Goal).where(Goal.workspace_id == m.workspace_id,
                                                Goal.member_id == m.id, Goal.number == number))
    if g is None:
        raise DomainError("no_such_goal", number=number, have=[x.number for x in goals(actor)])
    return g


def _by_id(actor: Actor, goal_id: int) -> Goal:
    g = actor.session.get(Goal, goal_id)
    if g is None or g.member_id != actor.member.id or g.workspace_id != actor.workspace.id:
        raise DomainError("not_your_goal")
    return g


def _done(g: Goal) -> GoalView:
    if g.done:
        raise DomainError("goal_already_done", number=g.number)
    g.done = True
    return view(g)


def goal_done(actor: Actor, number: int) -> GoalView:
    return _done(_by_number(actor, number))


def goal_done_by_id(actor: Actor, goal_id: int) -> GoalView:
    return _done(_by_id(actor, goal_id))


def goal_keep_by_id(actor: Actor, goal_id: int) -> GoalView:
    return view(_by_id(actor, goal_id))


def goal_note(actor: Actor, number: int, text: str, now: dt.datetime) -> GoalView:
    g = _by_number(actor, number)
    g.notes = [*g.notes, {"at": now.isoformat(), "text": text}]
    return view(g)


def goal_edit(actor: Actor, number: int, text: str, due: dt.date | None, today: dt.date) -> GoalView:
    """New words (and, when given, a new due date) for goal N; its notes are kept."""
    if due is not None and due < today:
        raise DomainError("due_in_past", due=due)
    g = _by_number(actor, number)
    g.text = text
    if due is not None:
        g.due_on = due
    return view(g)


def goal_delete(actor: Actor, number: int) -> GoalView:
    """Remove goal N for good (the numbers of the others stay as they are)."""
    g = _by_number(actor, number)
    gone = view(g)
    actor.session.delete(g)
    return gone
