"""Handlers for what a person can do about their own data: export-me and forget-me."""

from __future__ import annotations

from bot import actions as a
from bot import commands as c
from bot.handlers.registry import Ctx, handles, on_action
from bot.presenters import privacy as present
from bot.replies import Reply
from circles import privacy


@handles(c.ExportMe)
def export_me(ctx: Ctx, r: c.ExportMe) -> Reply:
    return present.exported(privacy.export_me(ctx.actor))


@handles(c.ForgetMe)
def forget_me(ctx: Ctx, r: c.ForgetMe) -> Reply:
    return present.confirm_forget(privacy.ask_to_forget(ctx.actor))


@on_action(a.ConfirmForget)
def confirm_forget(ctx: Ctx, x: a.ConfirmForget) -> Reply:
    return present.forgotten(privacy.forget_me(ctx.actor, x.pending_id))
