"""Handlers for the closing survey (buttons and form) and `/circle health rounds`."""

from __future__ import annotations

from bot import actions as a
from bot import commands as c
from bot.handlers.registry import Ctx, handles, on_action
from bot.presenters import survey as present
from bot.replies import Reply
from circles import survey
from circles.rounds_report import rounds_report
from circles.usecases.programs import program, programs


def _window(ctx: Ctx) -> int:
    return ctx.config.privacy.survey_days


@on_action(a.SurveyHelped)
def survey_helped(ctx: Ctx, x: a.SurveyHelped) -> Reply:
    return present.survey_answered(survey.answer(ctx.actor, x.round_id, ctx.now, _window(ctx),
                                                 helped=x.rating))


@on_action(a.SurveyJoin)
def survey_join(ctx: Ctx, x: a.SurveyJoin) -> Reply:
    return present.survey_answered(survey.answer(ctx.actor, x.round_id, ctx.now, _window(ctx),
                                                 join_again=x.answer == "yes"))


@on_action(a.SurveyOpen)
def survey_open(ctx: Ctx, x: a.SurveyOpen) -> Reply:
    return present.survey_form(survey.survey_view(ctx.actor, x.round_id, ctx.now, _window(ctx)))


@on_action(a.SurveyForm)
def survey_form(ctx: Ctx, x: a.SurveyForm) -> Reply:
    values = ctx.form_values or {}

    def one(name: str) -> str:
        v = values.get(name, "")
        return (v[0] if v else "") if isinstance(v, list) else (v or "").strip()

    helped = one("helped")
    join = one("join_again")
    text = one("suggestion")
    outcomes = {}
    for name in values:
        if name.startswith("goal_") and name[5:].isdigit() and one(name):
            outcomes[int(name[5:])] = one(name)
    return present.survey_answered(survey.answer(
        ctx.actor, x.round_id, ctx.now, _window(ctx),
        helped=int(helped) if helped.isdigit() else None,
        join_again={"yes": True, "no": False}.get(join),
        suggestion=c.check_text(text, "suggestion") if text else None,
        outcomes=outcomes or None))


@handles(c.HealthRounds)
def health_rounds(ctx: Ctx, r: c.HealthRounds) -> Reply:
    ps = [program(ctx.actor, r.program)] if r.program else programs(ctx.actor.session,
                                                                     ctx.actor.workspace)
    n = ctx.config.privacy.min_respondents
    return present.rounds_reply([rounds_report(ctx.actor.session, p, n) for p in ps])
