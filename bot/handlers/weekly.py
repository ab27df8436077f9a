"""Handlers for the weekly rhythm (answers, check-ins, pulses) and goals."""

from __future__ import annotations

from typing import Any

from bot import commands as c
from bot.handlers.registry import Ctx, handles
from bot.presenters import goals as present_goals
from bot.presenters import weekly as present
from bot.replies import Reply
from circles.usecases import goals, membership, weekly
from circles.usecases import which_circle as which
from circles.usecases.memberships import require_circle_member


@handles(c.Answers)
def answers(ctx: Ctx, r: c.Answers) -> Reply:
    return present.answers(*weekly.answers(ctx.actor))


def _ask_which(ctx: Ctx, what: dict[str, Any]) -> Reply:
    """Several circles fit: park what they said and let them press the circle it is for."""
    pending = membership.request_confirmation(ctx.actor, "circle_choice", what)
    return present.choose_circle(which.circle_options(ctx.actor), pending)


@handles(c.Answer)
def answer(ctx: Ctx, r: c.Answer) -> Reply:
    # someone with no circle hears that, not "your circle hasn't had a prompt yet"
    circle = which.pick_circle(ctx.actor, r.program, r.circle)
    if circle is None:
        return _ask_which(ctx, {"what": "answer", "text": r.text})
    return present.answer_recorded(record(ctx, {"what": "answer", "text": r.text}, circle.id))


@handles(c.CheckInCmd)
def check_in(ctx: Ctx, r: c.CheckInCmd) -> Reply:
    circle = which.pick_circle(ctx.actor, r.program, r.circle)
    what = {"what": "checkin", "status": r.status}
    if circle is None:
        return _ask_which(ctx, what)
    return present.checked_in(record(ctx, what, circle.id), r.status)


@handles(c.PulseCmd)
def pulse(ctx: Ctx, r: c.PulseCmd) -> Reply:
    circle = which.pick_circle(ctx.actor, r.program, r.circle)
    what = {"what": "pulse", "rating": r.rating, "comment": r.comment}
    if circle is None:
        return _ask_which(ctx, what)
    return present.pulsed(record(ctx, what, circle.id))


def record(ctx: Ctx, what: dict[str, Any], circle_id: int) -> Any:
    """Record an answer, check-in or pulse for one of the member's circles (typed in a
    command, or parked until they chose the circle)."""
    if what["what"] == "answer":
        circle = require_circle_member(ctx.actor.session, ctx.actor.member, circle_id)
        return weekly.answer(ctx.actor, what["text"], which.newest_post(ctx.actor, circle))
    if what["what"] == "checkin":
        return weekly.check_in(ctx.actor, what["status"], circle_id)
    return weekly.pulse(ctx.actor, int(what["rating"]), what.get("comment", ""), circle_id)


@handles(c.GoalSet)
def goal_set(ctx: Ctx, r: c.GoalSet) -> Reply:
    return present_goals.goal_set(goals.set_goal(ctx.actor, r.text, r.due, ctx.today))


@handles(c.GoalDone)
def goal_done(ctx: Ctx, r: c.GoalDone) -> Reply:
    return present_goals.goal_done(goals.goal_done(ctx.actor, r.number))


@handles(c.GoalNote)
def goal_note(ctx: Ctx, r: c.GoalNote) -> Reply:
    return present_goals.goal_noted(goals.goal_note(ctx.actor, r.number, r.text, ctx.now))


@handles(c.GoalEdit)
def goal_edit(ctx: Ctx, r: c.GoalEdit) -> Reply:
    return present_goals.goal_edited(goals.goal_edit(ctx.actor, r.number, r.text, r.due, ctx.today))


@handles(c.GoalDelete)
def goal_delete(ctx: Ctx, r: c.GoalDelete) -> Reply:
    return present_goals.goal_deleted(goals.goal_delete(ctx.actor, r.number))


@handles(c.GoalList)
def goal_list(ctx: Ctx, r: c.GoalList) -> Reply:
    return present_goals.goal_list(goals.goals(ctx.actor))
