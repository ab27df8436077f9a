"""The health chart: a program's answer rate, meeting rate and pulse per week, one line per
measure, with the number of circles at risk as bars underneath, as a PNG people read in a
chat client on a phone (about 1000 px wide, large type, few words).

Drawn with matplotlib's object API on the Agg canvas (headless, no pyplot state), so it is
safe in the bot's worker threads. The numbers come from ``circles.evaluation.series``;
pulse points exist only for weeks where enough members answered (the threshold rule).
"""

from __future__ import annotations

import io
import re

from bot.presenters import formatting as fmt
from bot.replies import Attachment, Reply
from circles.evaluation.series import ProgramSeries

WIDTH_IN, HEIGHT_IN, DPI = 10.0, 7.0, 100  # 1000 x 700 px
FONT = 15
COLOURS = {"answers": "#1f77b4", "meetings": "#2ca02c", "pulse": "#d62728", "risk": "#ff7f0e"}


def _title(s: ProgramSeries) -> str:
    state = " (ended)" if s.round_ended else ""
    return f"{s.program_name} · round {s.round_number}{state}"


def _pct(v: float | None) -> float | None:
    return None if v is None else 100.0 * v


def chart_png(s: ProgramSeries) -> bytes:
    """The PNG for one program's series (which must have at least one week)."""
    from matplotlib.figure import Figure  # heavy: loaded when the first chart is drawn
    from matplotlib.ticker import MaxNLocator

    weeks = [w.week for w in s.weeks]
    fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI)
    # fixed margins: an automatic layout engine would double the drawing time
    top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1], "hspace": 0.08})
    fig.subplots_adjust(left=0.10, right=0.91, top=0.93, bottom=0.10)
    lines = []
    for key, label, values in (
        ("answers", "Answer rate", [_pct(w.answer_rate) for w in s.weeks]),
        ("meetings", "Meeting rate", [_pct(w.meeting_rate) for w in s.weeks]),
    ):
        pts = [(x, y) for x, y in zip(weeks, values, strict=True) if y is not None]
        if pts:
            lines += top.plot(*zip(*pts, strict=True), marker="o", linewidth=3, markersize=8,
                              color=COLOURS[key], label=label)
    top.set_ylim(0, 105)
    top.set_ylabel("Rate (%)", fontsize=FONT)
    pulse_ax = top.twinx()
    pts = [(w.week, w.pulse_avg) for w in s.weeks if w.pulse_avg is not None]
    if pts:
        lines += pulse_ax.plot(*zip(*pts, strict=True), marker="s", linewidth=3, markersize=8,
                               linestyle="--", color=COLOURS["pulse"], label="Pulse (1–5)")
    pulse_ax.set_ylim(1, 5.2)
    pulse_ax.set_ylabel("Pulse (1–5)", fontsize=FONT)
    top.set_title(_title(s), fontsize=FONT + 4, loc="left")
    if lines:
        top.legend(handles=lines, loc="lower left", fontsize=FONT - 1, ncols=3, framealpha=0.9)
    top.grid(True, alpha=0.3)

    risk = [w.at_risk for w in s.weeks]
    bars = bottom.bar(weeks, risk, color=COLOURS["risk"], width=0.6)
    bottom.bar_label(bars, labels=[str(r) if r else "" for r in risk], fontsize=FONT - 1, padding=2)
    bottom.set_ylim(0, max(risk + [1]) * 1.35)
    bottom.set_ylabel("At risk", fontsize=FONT)
    bottom.yaxis.set_major_locator(MaxNLocator(nbins=3, integer=True))
    bottom.set_xlabel("Week of the round", fontsize=FONT)
    bottom.set_xticks(weeks)
    for ax in (top, pulse_ax, bottom):
        ax.tick_params(labelsize=FONT - 1)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()


def summary(s: ProgramSeries) -> str:
    """The chart's last week in words."""
    last = s.weeks[-1]
    return (f"weeks 1 to {last.week}. In week {last.week}: answer rate "
            f"{fmt.rate(last.answer_rate)}, meeting rate {fmt.rate(last.meeting_rate)}, "
            f"pulse {fmt.pulse_of_five(last.pulse_avg)}, "
            f"{fmt.counted(last.at_risk, 'circle')} at risk.")


def alt_text(s: ProgramSeries) -> str:
    """What the chart shows, for screen readers and for anyone whose client hides images."""
    return f"Health chart of {_title(s)}: {summary(s)}"


def filename(s: ProgramSeries, suffix: str = "") -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", s.program_name.lower()).strip("-") or "program"
    return f"health-{slug}-round-{s.round_number}{suffix}.png"


def chart_file(s: ProgramSeries, suffix: str = "") -> Attachment:
    return Attachment(filename(s, suffix), chart_png(s), title=f"Health chart: {_title(s)}",
                      alt_text=alt_text(s), mime="image/png")


def chart_reply(series: list[ProgramSeries]) -> Reply:
    """`/circle health chart`: one chart per program that has a week to show."""
    drawn = [s for s in series if s.weeks]
    skipped = [s.program_name for s in series if not s.weeks]
    if not drawn:
        return Reply(title="Health chart", text="Nothing to chart yet: no prompt has gone out in a "
                     "published round. The chart starts after the first week's prompt.")
    lines = [f"**{_title(s)}**: {summary(s)}" for s in drawn]
    if skipped:
        lines.append("No prompt yet in: " + ", ".join(skipped) + ".")
    lines.append(f"Pulse is shown only for circles where at least {drawn[0].min_respondents} "
                 "members answered that week.")
    return Reply(title="Health chart", text="\n".join(lines), files=[chart_file(s) for s in drawn])
