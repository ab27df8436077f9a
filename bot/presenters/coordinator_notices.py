"""Words for what the weekly cycle tells coordinators: a round ended, prompts were skipped,
and the weekly digest."""

from __future__ import annotations

from bot.presenters import formatting as fmt
from bot.presenters.chart import chart_file
from bot.presenters.health import risk_text
from bot.presenters.registry import presents
from bot.replies import Reply, Section
from circles import notices as n
from circles.evaluation.series import ProgramSeries


@presents(n.RoundEnded)
def round_ended(x: n.RoundEnded) -> Reply:
    return Reply(
        title="Round ended",
        text=(
            f"Round {x.round_number} of **{x.program_name}** ended on {x.ended_on}: "
            "its circle spaces are being archived and members asked about their goals. "
            "You can form the next round now (`/circle round preview`)."
        ),
        tone="success",
    )


@presents(n.PromptsSkipped)
def prompts_skipped(x: n.PromptsSkipped) -> Reply:
    return Reply(
        title="Prompt skipped",
        text=(
            f"The week {x.cycle} prompt of **{x.program_name}** (round {x.round_number}) was not posted "
            f"to {fmt.counted(x.circles, 'circle')}: the bot was unavailable and it is now too late "
            "to be useful. The next prompt will go out on schedule."
        ),
        tone="warning",
    )


def _program_section(p: n.ProgramDigest) -> Section:
    trend = fmt.MISSING if p.pulse_trend is None else f"{fmt.change(p.pulse_trend)} over the round"
    lines = [
        f"• Circles: {p.circles}",
        f"• Answer rate: {fmt.rate(p.answer_rate)}",
        f"• Meeting rate: {fmt.rate(p.meeting_rate)}",
        f"• Pulse: {fmt.pulse_of_five(p.pulse_avg)}, trend {trend}",
        f"• At risk: {p.at_risk_total}",
    ]
    lines += [f"  • {c.name}: {'; '.join(risk_text(r) for r in c.risks)}" for c in p.at_risk]
    if p.at_risk_total > len(p.at_risk):
        lines.append(f"  • … and {p.at_risk_total - len(p.at_risk)} more (`/circle health`)")
    return Section(title=f"{p.program_name}, round {p.round_number}", text="\n".join(lines))


def _series(p: n.ProgramDigest) -> ProgramSeries:
    return ProgramSeries(p.program_name, p.round_number, False, p.min_respondents, list(p.weeks))


@presents(n.WeeklyDigest)
def weekly_digest(x: n.WeeklyDigest) -> Reply:
    """The digest's words, with each program's health chart drawn now from the weeks the
    notice carries (the same picture as `/circle health chart`)."""
    charts = [chart_file(_series(p)) for p in x.programs if p.weeks]
    return Reply(title="Weekly circles digest", text="How your circles are doing this week.",
                 sections=[_program_section(p) for p in x.programs], files=charts)
