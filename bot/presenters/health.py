"""Words for `/circle health`: a program's participation, pulse, goals, circles that need
attention and why, and who might need a new circle (one press away). The numbers come from
`circles.health` as typed facts. Pulse words never sit beside a person's name."""

from __future__ import annotations

from bot.actions import HealthPage, RematchMember
from bot.commands import KIND_LABELS
from bot.presenters import formatting as fmt
from bot.replies import Button, Reply, Section
from circles.health import CircleHealth, ProgramHealth, RematchCandidate, Risk

NO_PROMPT = "no prompt yet"
LISTED = 15  # circles (and people to rematch) a reply names before it summarises the rest
REMATCH_BUTTONS = 4  # one-press rematch buttons per reply (chat clients show few in a row)
LABEL_MAX = 75  # the shortest platform limit on a button's label (Slack)


def _label(text: str) -> str:
    return text if len(text) <= LABEL_MAX else text[: LABEL_MAX - 1] + "…"


def risk_text(r: Risk) -> str:
    """Why a circle is flagged, in the words the digest and `/circle health` share."""
    v = r.value
    if r.kind == "low_answers":
        return f"only {fmt.rate(v)} of prompts answered"
    if r.kind == "silent":
        weeks = f"for {fmt.counted(r.weeks, 'week')}" if r.weeks else "lately"
        return f"{v} of {r.of} silent {weeks}" if r.of else f"{v} silent {weeks}"
    if r.kind == "low_meetings":
        return f"met in only {fmt.rate(v)} of weeks"
    if r.kind == "low_pulse":
        return f"pulse is low ({fmt.pulse_of_five(v)})"
    if r.kind == "falling_pulse":
        if r.before is not None and r.after is not None:
            return f"pulse fell from {fmt.pulse(r.before)} to {fmt.pulse(r.after)}"
        return f"pulse fell by {fmt.pulse(v)}"
    if r.kind == "quiet":
        return f"no activity for {v}+ days"
    return f"fewer than {v} active members"


def rematch_text(m: RematchCandidate) -> str:
    where = f"circle {m.circle_number}, " if m.circle_number is not None else ""
    return f"{m.display_name} ({where}answered none of the last {m.count} prompts)"


def _rate(x: float | None, prompts: int) -> str:
    return NO_PROMPT if prompts == 0 else fmt.rate(x)


def _pulse(avg: float | None, trend: float | None, hidden: bool, n: int) -> str:
    if avg is None and hidden:
        return f"hidden until {n} answer a week"
    return fmt.pulse(avg, trend)


def _last(ch_last) -> str:  # type: ignore[no-untyped-def]
    return ch_last.date().isoformat() if ch_last else "never"


def circle_line(ch: CircleHealth, n: int) -> str:
    flag = "⚠️ " if ch.risks else "✅ "
    risks = f" — at risk: {'; '.join(risk_text(r) for r in ch.risks)}" if ch.risks else ""
    if ch.prompts == 0:
        rates = f"answers {NO_PROMPT}"
    else:
        rates = f"answers {fmt.rate(ch.answer_rate)}, met {fmt.rate(ch.meeting_rate)}"
    return (f"{flag}**{ch.name}** ({KIND_LABELS.get(ch.kind, ch.kind)}, {fmt.counted(ch.members, 'member')}): "
            f"{rates}, pulse {_pulse(ch.pulse_avg, ch.pulse_trend, ch.pulse_hidden, n)}, "
            f"goals {ch.goals_met}/{ch.goals_set} met, last activity {_last(ch.last_activity)}{risks}")


def _listed_lines(h: ProgramHealth) -> list[str]:
    """Every circle of a small program; for a big one only the circles at risk (the first
    ``LISTED`` by number), with a line counting what was left out, so the reply stays
    readable in a chat client at any size."""
    n = h.min_respondents
    if h.ended:
        return [f"Round {h.round_number} has ended: nothing is flagged. "
                f"Ask `/circle health circle N` for one circle's record."]
    if h.circle_count <= LISTED:
        return [circle_line(ch, n) for ch in h.circles]
    risky = h.at_risk
    lines = [circle_line(ch, n) for ch in risky[:LISTED]]
    shown = min(len(risky), LISTED)
    if h.at_risk_total > shown:
        lines.append(f"… and {fmt.counted(h.at_risk_total - shown, 'more circle')} at risk not listed")
    healthy = h.circle_count - h.at_risk_total
    if healthy:
        lines.append(f"{fmt.counted(healthy, 'healthy circle')} not listed "
                     "(`/circle health circle N` for one)")
    return lines


def _rematch_line(h: ProgramHealth) -> str:
    named = "; ".join(rematch_text(m) for m in h.rematch[:LISTED])
    more = max(h.rematch_total, len(h.rematch)) - min(len(h.rematch), LISTED)
    return "\nConsider rematching: " + named + (f"; … and {more} more" if more > 0 else "")


def _summary(h: ProgramHealth) -> str:
    state = "ended" if h.ended else "active"
    members = h.members
    if h.prompts == 0:
        rates = f"answers {NO_PROMPT} · met {NO_PROMPT}"
    else:
        rates = f"answer rate {fmt.rate(h.overall('answer_rate'))} · met {fmt.rate(h.overall('meeting_rate'))}"
    span = h.pulse_from_to
    pulse = fmt.pulse(h.overall("pulse_avg"), h.overall("pulse_trend"))
    if span is not None:
        pulse += f" (from {fmt.pulse(span[0])} to {fmt.pulse(span[1])} over the round)"
    return (f"Round {h.round_number} ({state}) · {fmt.counted(h.circle_count, 'circle')} · "
            f"{fmt.counted(members, 'member')} · {rates} · pulse {pulse} · "
            f"goals {h.goals_set} set, {h.goals_met} met · last activity {_last(h.last_activity)} · "
            f"waitlist {h.waitlist}")


def _program_section(h: ProgramHealth) -> Section:
    if h.round_number is None:
        return Section("No published round yet.", h.program_name)
    lines = [_summary(h), "", *_listed_lines(h)]
    if h.rematch and not h.ended:
        lines.append(_rematch_line(h))
    return Section("\n".join(lines), h.program_name)


def _buttons(healths: list[ProgramHealth]) -> list[Button]:
    out: list[Button] = []
    for h in healths:
        if h.ended:
            continue
        for m in h.rematch:
            if len(out) < REMATCH_BUTTONS:
                out.append(Button(_label(f"Rematch {m.display_name}"), *RematchMember(m.member_id).encode()))
    for h in healths:
        if h.circle_count > LISTED and not h.ended and len(out) < REMATCH_BUTTONS + 1:
            out.append(Button(_label(f"All circles of {h.program_name}"), *HealthPage(h.program_id, 1).encode()))
    return out


def health_reply(healths: list[ProgramHealth]) -> Reply:
    """`/circle health` for the given programs (one section each)."""
    if not healths:
        return Reply(text="No programs yet.", title="Circle health")
    total_risk = sum(h.at_risk_total for h in healths)
    return Reply(text=f"{fmt.counted(total_risk, 'circle')} at risk.", title="Circle health",
                 sections=[_program_section(h) for h in healths], buttons=_buttons(healths))


def health_page(h: ProgramHealth) -> Reply:
    """One page of a big program's circles, in number order, with a button to the next (``h``
    was read for that page: ``h.page`` and its circles)."""
    pages = max(1, -(-h.circle_count // LISTED))
    page = h.page or 1
    lines = [circle_line(ch, h.min_respondents) for ch in h.circles]
    buttons = ([Button("Next circles", *HealthPage(h.program_id, page + 1).encode())] if page < pages else [])
    return Reply(text="\n".join(lines) or "No circles.", title=f"{h.program_name}: circles, page {page} of {pages}",
                 buttons=buttons)
