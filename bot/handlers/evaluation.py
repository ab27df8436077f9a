"""Coordinators' pictures and files: `/circle health chart` and `/circle export`.

Both go through the coordinator lane (the spec marks them coordinator-only) because they
read a whole program; the reply carries the file and the adapter delivers it privately."""

from __future__ import annotations

from bot.commands.requests import Export, HealthChart
from bot.handlers.registry import Ctx, handles
from bot.presenters.chart import chart_reply
from bot.presenters.evaluation import export_reply
from bot.replies import Reply
from circles.usecases import evaluation


@handles(HealthChart)
def health_chart(ctx: Ctx, r: HealthChart) -> Reply:
    threshold = ctx.config.health.min_pulse_respondents
    return chart_reply(evaluation.chart_series(ctx.actor, r.program, threshold))


@handles(Export)
def export(ctx: Ctx, r: Export) -> Reply:
    threshold = ctx.config.health.min_pulse_respondents
    return export_reply(evaluation.export_zip(ctx.actor, r.program, threshold), ctx.today)
