"""Handlers for what every member can do about themselves."""

from __future__ import annotations

from bot import commands as c
from bot.handlers.registry import Ctx, handles
from bot.presenters import members as present
from bot.presenters import programs as present_programs
from bot.replies import Reply
from circles.usecases import membership


@handles(c.Help)
def help_(ctx: Ctx, r: c.Help) -> Reply:
    page = c.help_page(r.topic, ctx.is_coordinator)
    return present_programs.help_reply(page.title, page.rows, r.topic, page.footer)


@handles(c.Join)
def join(ctx: Ctx, r: c.Join) -> Reply:
    j = membership.join(ctx.actor, r.role, r.program, ctx.today, ctx.who.timezone)
    return present.joined(j, membership.profile(ctx.actor))


@handles(c.ProfileShow)
def profile_show(ctx: Ctx, r: c.ProfileShow) -> Reply:
    return present.profile(membership.profile(ctx.actor))


@handles(c.ProfileEdit)
def profile_edit(ctx: Ctx, r: c.ProfileEdit) -> Reply:
    return present.opening_profile(membership.profile(ctx.actor))


@handles(c.ProfileSet)
def profile_set(ctx: Ctx, r: c.ProfileSet) -> Reply:
    placement = membership.update_profile(ctx.actor, r.values, ctx.today)
    return present.profile_set(list(r.values), placement,
                               membership.role_program(ctx.actor, r.values))


@handles(c.Pause)
def pause(ctx: Ctx, r: c.Pause) -> Reply:
    membership.pause(ctx.actor, r.until, ctx.today)
    return present.paused(r.until)


@handles(c.Resume)
def resume(ctx: Ctx, r: c.Resume) -> Reply:
    membership.resume(ctx.actor, ctx.today)
    return present.resumed()


@handles(c.Leave)
def leave(ctx: Ctx, r: c.Leave) -> Reply:
    return present.confirm_leave(membership.ask_to_leave(ctx.actor))


@handles(c.Status)
def status(ctx: Ctx, r: c.Status) -> Reply:
    return present.status(membership.status(ctx.actor, ctx.today))
