"""Handlers for button presses and form submissions, keyed by their typed action. A press
goes through the same use case as the command it stands for, with the same checks."""

from __future__ import annotations

from bot import actions as a
from bot import commands as c
from bot.handlers import weekly as weekly_handlers
from bot.handlers.registry import Ctx, on_action
from bot.presenters import goals as present_goals
from bot.presenters import health as present_health
from bot.presenters import members as present_members
from bot.presenters import programs as present_programs
from bot.presenters import weekly as present
from bot.replies import Reply
from circles.usecases import goals, insight, membership, placement, program_delete, rounds, weekly


@on_action(a.CheckinPress)
def checkin_press(ctx: Ctx, x: a.CheckinPress) -> Reply:
    return present.checked_in(weekly.check_in(ctx.actor, x.status, x.circle_id, x.cycle), x.status)


@on_action(a.PulsePress)
def pulse_press(ctx: Ctx, x: a.PulsePress) -> Reply:
    return present.pulsed(weekly.pulse(ctx.actor, x.rating, "", x.circle_id, x.cycle))


@on_action(a.PulseComment)
def pulse_comment(ctx: Ctx, x: a.PulseComment) -> Reply:
    return present.pulse_comment_form(x.circle_id, x.cycle)


@on_action(a.AnswerPrompt)
def answer_prompt(ctx: Ctx, x: a.AnswerPrompt) -> Reply:
    return present.answer_form(weekly.prompt_for_answer(ctx.actor, x.post_id))


@on_action(a.EditProfile)
def edit_profile(ctx: Ctx, x: a.EditProfile) -> Reply:
    return present_members.opening_profile(membership.profile(ctx.actor))


@on_action(a.Cancel)
def cancel(ctx: Ctx, x: a.Cancel) -> Reply:
    membership.take_confirmation(ctx.actor, x.pending_id)
    return present_members.cancelled()


@on_action(a.ConfirmLeave)
def confirm_leave(ctx: Ctx, x: a.ConfirmLeave) -> Reply:
    return present_members.left(membership.leave(ctx.actor, x.pending_id))


@on_action(a.ConfirmRematch)
def confirm_rematch(ctx: Ctx, x: a.ConfirmRematch) -> Reply:
    if not ctx.is_coordinator:
        return present_programs.only_coordinators_may("rematch")
    data = membership.take_confirmation(ctx.actor, x.pending_id, "rematch")
    return present_programs.rematched(
        placement.move_member(ctx.actor, data["member"], data["from"], data["to"]))


@on_action(a.RematchMember)
def rematch_member(ctx: Ctx, x: a.RematchMember) -> Reply:
    """`/circle health`'s rematch button: the same plan and confirmation as `/circle rematch`."""
    if not ctx.is_coordinator:
        return present_programs.only_coordinators_may("rematch")
    ext = insight.member_external_id(ctx.actor, x.member_id)
    plan = placement.rematch_target(ctx.actor, ext, None, ctx.today)
    pending = membership.request_confirmation(
        ctx.actor, "rematch", {"member": plan.member_id, "from": plan.source_id, "to": plan.target_id})
    return present_programs.confirm_rematch(plan, pending)


@on_action(a.HealthPage)
def health_page(ctx: Ctx, x: a.HealthPage) -> Reply:
    if not ctx.is_coordinator:
        return present_programs.only_coordinators_may("see circle health")
    return present_health.health_page(
        insight.health_of_program(ctx.actor, x.program_id, ctx.now, ctx.config.health.min_pulse_respondents,
                                  page=x.page, per_page=present_health.LISTED))


@on_action(a.ConfirmRoundEnd)
def confirm_round_end(ctx: Ctx, x: a.ConfirmRoundEnd) -> Reply:
    if not ctx.is_coordinator:
        return present_programs.only_coordinators_may("end rounds")
    data = membership.take_confirmation(ctx.actor, x.pending_id, "round_end")
    return present_programs.ended(rounds.end_round_by_id(ctx.actor, data["round"], ctx.now))


@on_action(a.ConfirmProgramDelete)
def confirm_program_delete(ctx: Ctx, x: a.ConfirmProgramDelete) -> Reply:
    if not ctx.is_coordinator:
        return present_programs.only_coordinators_may("delete programs")
    data = membership.take_confirmation(ctx.actor, x.pending_id, "program_delete")
    return present_programs.program_deleted(program_delete.delete_program(ctx.actor, data["program"]))


@on_action(a.ChooseCircle)
def choose_circle(ctx: Ctx, x: a.ChooseCircle) -> Reply:
    what = membership.take_confirmation(ctx.actor, x.pending_id, "circle_choice")
    done = weekly_handlers.record(ctx, what, x.circle_id)
    if what["what"] == "answer":
        return present.answer_recorded(done)
    if what["what"] == "checkin":
        return present.checked_in(done, what["status"])
    return present.pulsed(done)


@on_action(a.PublishRound)
def publish_round(ctx: Ctx, x: a.PublishRound) -> Reply:
    if not ctx.is_coordinator:
        return present_programs.only_coordinators_may("publish")
    return present_programs.published(rounds.publish_round(ctx.actor, program_id=x.program_id))


@on_action(a.ReshuffleRound)
def reshuffle_round(ctx: Ctx, x: a.ReshuffleRound) -> Reply:
    if not ctx.is_coordinator:
        return present_programs.only_coordinators_may("reshuffle")
    seed = int(ctx.now.timestamp()) % 2**31
    # the button is an explicit choice: it forms the draft again even after moves
    return present_programs.preview(rounds.preview_round(ctx.actor, "", ctx.today, seed,
                                                         program_id=x.program_id, fresh=True))


@on_action(a.GoalDone)
def goal_done(ctx: Ctx, x: a.GoalDone) -> Reply:
    return present_goals.goal_done(goals.goal_done_by_id(ctx.actor, x.goal_id))


@on_action(a.GoalKeep)
def goal_keep(ctx: Ctx, x: a.GoalKeep) -> Reply:
    return present_goals.goal_kept(goals.goal_keep_by_id(ctx.actor, x.goal_id))


# ------------------------------------------------------------------------ forms


@on_action(a.ProfileForm)
def profile_form(ctx: Ctx, x: a.ProfileForm) -> Reply:
    raw = {k: ctx_text(ctx, k) for k in c.PROFILE_KEYS if k in ctx_values(ctx)}
    return present_members.profile_saved(
        membership.update_profile(ctx.actor, c.parse_profile_values(raw), ctx.today, strict=False))


@on_action(a.AnswerForm)
def answer_form(ctx: Ctx, x: a.AnswerForm) -> Reply:
    text = c.check_text(ctx_text(ctx, "answer"), "answer")
    return present.answer_recorded(weekly.answer(ctx.actor, text, x.post_id))


@on_action(a.PulseCommentForm)
def pulse_comment_form(ctx: Ctx, x: a.PulseCommentForm) -> Reply:
    comment = c.check_text(ctx_text(ctx, "comment"), "comment")
    weekly.pulse_comment(ctx.actor, x.circle_id, x.cycle, comment)
    return present.comment_saved()


def ctx_values(ctx: Ctx) -> dict[str, str | list[str]]:
    return ctx.form_values or {}


def ctx_text(ctx: Ctx, name: str) -> str:
    v = ctx_values(ctx).get(name, "")
    return ", ".join(v) if isinstance(v, list) else (v or "")
