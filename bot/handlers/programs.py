"""Handlers for coordinators: programs, prompts, rounds, health, rematches, coordinators."""

from __future__ import annotations

from bot import commands as c
from bot.handlers.registry import Ctx, handles
from bot.presenters import programs as present
from bot.presenters.health import health_reply
from bot.presenters.health_circle import circle_health_reply
from bot.replies import Reply
from circles.usecases import coordinators, insight, membership, placement, programs, rounds
from circles.usecases import program_delete as program_delete_uc

SETTING_COLUMNS = {"tz": "timezone", "weeks": "round_weeks", "repeat": "repeat_window",
                   "hours": "min_shared_hours"}


@handles(c.ProgramCreate)
def program_create(ctx: Ctx, r: c.ProgramCreate) -> Reply:
    p = programs.create_program(ctx.actor, name=r.name, kind=r.kind, size=r.size, cadence=r.cadence,
                                day=r.day, time=r.time, timezone=r.tz, round_weeks=r.weeks,
                                repeat_window=r.repeat, min_shared_hours=r.hours,
                                weights=dict(r.weights))
    return present.program_created(programs.view(p))


@handles(c.ProgramSet)
def program_set(ctx: Ctx, r: c.ProgramSet) -> Reply:
    given = {k: v for k, v in sorted(c.request_fields(r).items()) if k != "name" and v is not None}
    u = programs.update_program(ctx.actor, r.name,
                                {SETTING_COLUMNS.get(k, k): v for k, v in given.items()})
    return present.program_updated(u.name, given, u)


@handles(c.ProgramOpen)
def program_open(ctx: Ctx, r: c.ProgramOpen) -> Reply:
    return present.enrolment(programs.set_enrolment(ctx.actor, r.name, True).name, True)


@handles(c.ProgramClose)
def program_close(ctx: Ctx, r: c.ProgramClose) -> Reply:
    return present.enrolment(programs.set_enrolment(ctx.actor, r.name, False).name, False)


@handles(c.ProgramList)
def program_list(ctx: Ctx, r: c.ProgramList) -> Reply:
    return present.program_list(programs.list_programs(ctx.actor))


@handles(c.PromptAdd)
def prompt_add(ctx: Ctx, r: c.PromptAdd) -> Reply:
    return present.prompt_added(programs.add_prompt(ctx.actor, r.program, r.text).name)


@handles(c.PromptList)
def prompt_list(ctx: Ctx, r: c.PromptList) -> Reply:
    return present.prompt_list(*programs.list_prompts(ctx.actor, r.program))


@handles(c.PromptRemove)
def prompt_remove(ctx: Ctx, r: c.PromptRemove) -> Reply:
    return present.prompt_removed(*programs.remove_prompt(ctx.actor, r.program, r.number))


@handles(c.ProgramRename)
def program_rename(ctx: Ctx, r: c.ProgramRename) -> Reply:
    return present.program_renamed(*programs.rename_program(ctx.actor, r.name, r.new_name))


@handles(c.CoordinatorsRemove)
def coordinators_remove(ctx: Ctx, r: c.CoordinatorsRemove) -> Reply:
    return present.coordinator_removed(
        coordinators.remove_coordinator(ctx.actor, r.member.external_id, r.member.name))


@handles(c.RoundPreview)
def round_preview(ctx: Ctx, r: c.RoundPreview) -> Reply:
    return present.preview(rounds.preview_round(ctx.actor, r.program, ctx.today, r.seed,
                                                fresh=bool(r.fresh)))


@handles(c.RoundMove)
def round_move(ctx: Ctx, r: c.RoundMove) -> Reply:
    return present.moved(rounds.move_in_draft(ctx.actor, r.program, r.member.external_id,
                                              r.member.name, r.circle))


@handles(c.RoundPublish)
def round_publish(ctx: Ctx, r: c.RoundPublish) -> Reply:
    return present.published(rounds.publish_round(ctx.actor, r.program))


@handles(c.RoundEnd)
def round_end(ctx: Ctx, r: c.RoundEnd) -> Reply:
    plan = rounds.round_to_end(ctx.actor, r.program)
    pending = membership.request_confirmation(ctx.actor, "round_end", {"round": plan.round_id})
    return present.confirm_round_end(plan, pending)


@handles(c.Health)
def health(ctx: Ctx, r: c.Health) -> Reply:
    return health_reply(insight.health_of(ctx.actor, r.program, ctx.now,
                                          ctx.config.health.min_pulse_respondents))


@handles(c.HealthCircle)
def health_circle(ctx: Ctx, r: c.HealthCircle) -> Reply:
    return circle_health_reply(insight.circle_health(ctx.actor, r.program, r.number, ctx.now,
                                                     ctx.config.health.min_pulse_respondents))


@handles(c.Rematch)
def rematch(ctx: Ctx, r: c.Rematch) -> Reply:
    plan = placement.rematch_target(ctx.actor, r.member.external_id, r.member.name, ctx.today)
    pending = membership.request_confirmation(
        ctx.actor, "rematch", {"member": plan.member_id, "from": plan.source_id, "to": plan.target_id})
    return present.confirm_rematch(plan, pending)


@handles(c.CoordinatorsAdd)
def coordinators_add(ctx: Ctx, r: c.CoordinatorsAdd) -> Reply:
    return present.coordinator_added(
        coordinators.add_coordinator(ctx.actor, r.member.external_id, r.member.name))


@handles(c.CoordinatorsList)
def coordinators_list(ctx: Ctx, r: c.CoordinatorsList) -> Reply:
    return present.coordinator_list(coordinators.coordinator_names(ctx.actor),
                                    ctx.who.has_workspace_admins)


@handles(c.ProgramDelete)
def program_delete(ctx: Ctx, r: c.ProgramDelete) -> Reply:
    plan = program_delete_uc.program_to_delete(ctx.actor, r.name)
    pending = membership.request_confirmation(ctx.actor, "program_delete",
                                              {"program": plan.program_id})
    return present.confirm_program_delete(plan, pending)
