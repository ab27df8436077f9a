"""Words for `/circle health`: a program's rates, pulse, circles at risk and why, and who
might need a new circle. The numbers come from `circles.health` as typed facts."""

from __future__ import annotations

from bot.commands import KIND_LABELS
from bot.presenters import formatting as fmt
from bot.replies import Reply, Section
from circles.health import CircleHealth, ProgramHealth, RematchCandidate, Risk


def risk_text(r: Risk) -> str:
    """Why a circle is flagged, in the words the digest and `/circle health` share."""
    v = r.value
    if r.kind == "low_answers":
        return f"only {fmt.rate(v)} of prompts answered"
    if r.kind == "low_meetings":
        return f"met in only {fmt.rate(v)} of weeks"
    if r.kind == "low_pulse":
        return f"pulse is low ({fmt.pulse_of_five(v)})"
    if r.kind == "falling_pulse":
        return f"pulse fell by {fmt.pulse(v)} last week"
    if r.kind == "quiet":
        return f"no activity for {v}+ days"
    return f"fewer than {v} active members"


def rematch_text(m: RematchCandidate) -> str:
    why = (f"rated their circle 2 or lower {m.count} times" if m.reason == "low_pulse"
           else "hasn't answered the last two prompts")
    return f"{m.display_name} ({why})"


def _circle_line(ch: CircleHealth) -> str:
    last = ch.last_activity.date().isoformat() if ch.last_activity else "never"
    flag = "⚠️ " if ch.risks else "✅ "
    risks = f" — at risk: {'; '.join(risk_text(r) for r in ch.risks)}" if ch.risks else ""
    return (f"{flag}**{ch.name}** ({KIND_LABELS.get(ch.kind, ch.kind)}, {fmt.counted(ch.members, 'member')}): "
            f"answers {fmt.rate(ch.answer_rate)}, met {fmt.rate(ch.meeting_rate)}, "
            f"pulse {fmt.pulse(ch.pulse_avg, ch.pulse_trend)}, last activity {last}{risks}")


LISTED = 15  # circles (and people to rematch) a reply names before it summarises the rest


def _listed_lines(h: ProgramHealth) -> list[str]:
    """Every circle of a small program; for a big one only the circles at risk (the first
    ``LISTED`` by number), with a line counting what was left out, so the reply stays
    readable in a chat client at any size."""
    if len(h.circles) <= LISTED:
        return [_circle_line(ch) for ch in h.circles]
    risky = h.at_risk
    lines = [_circle_line(ch) for ch in risky[:LISTED]]
    if len(risky) > LISTED:
        lines.append(f"… and {fmt.counted(len(risky) - LISTED, 'more circle')} at risk not listed")
    healthy = len(h.circles) - len(risky)
    if healthy:
        lines.append(f"{fmt.counted(healthy, 'healthy circle')} not listed")
    return lines


def _rematch_line(h: ProgramHealth) -> str:
    named = "; ".join(rematch_text(m) for m in h.rematch[:LISTED])
    more = len(h.rematch) - LISTED
    return "\nConsider rematching: " + named + (f"; … and {more} more" if more > 0 else "")


def _program_section(h: ProgramHealth) -> Section:
    if h.round_number is None:
        return Section("No published round yet.", h.program_name)
    head = (f"Round {h.round_number} · {fmt.counted(len(h.circles), 'circle')} · answer rate {fmt.rate(h.overall('answer_rate'))}"
            f" · met {fmt.rate(h.overall('meeting_rate'))}"
            f" · pulse {fmt.pulse(h.overall('pulse_avg'), h.overall('pulse_trend'))}"
            f" · waitlist {h.waitlist}")
    lines = [head, "", *_listed_lines(h)]
    if h.rematch:
        lines.append(_rematch_line(h))
    return Section("\n".join(lines), h.program_name)


def health_reply(healths: list[ProgramHealth]) -> Reply:
    """`/circle health` for the given programs (one section each)."""
    if not healths:
        return Reply(text="No programs yet.", title="Circle health")
    total_risk = sum(len(h.at_risk) for h in healths)
    return Reply(text=f"{fmt.counted(total_risk, 'circle')} at risk.", title="Circle health",
                 sections=[_program_section(h) for h in healths])
