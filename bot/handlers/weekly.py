"""Handlers for the weekly rhythm (answers, check-ins, pulses) and goals."""

from __future__ import annotations

from bot import commands as c
from bot.handlers.registry import Ctx, handles
from bot.presenters import goals as present_goals
from bot.presenters import weekly as present
from bot.replies import Reply
from circles.usecases import goals, weekly
from circles.usecases.memberships import only_circle


@handles(c.Answers)
def answers(ctx: Ctx, r: c.Answers) -> Reply:
    return present.answers(*weekly.answers(ctx.actor))


@handles(c.Answer)
def answer(ctx: Ctx, r: c.Answer) -> Reply:
    # someone with no circle hears that, not "your circle hasn't had a prompt yet"
    only_circle(ctx.actor.session, ctx.actor.member)
    return present.answer_recorded(weekly.answer(ctx.actor, r.text))


@handles(c.CheckInCmd)
def check_in(ctx: Ctx, r: c.CheckInCmd) -> Reply:
    return present.checked_in(weekly.check_in(ctx.actor, r.status), r.status)


@handles(c.PulseCmd)
def pulse(ctx: Ctx, r: c.PulseCmd) -> Reply:
    return present.pulsed(weekly.pulse(ctx.actor, r.rating, r.comment))


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
