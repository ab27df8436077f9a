"""TEMPORARY (replaced at merge by the cyclehealth branch)."""

from __future__ import annotations

from bot import commands as c
from bot.replies import Reply, Section
from circles.health import ProgramHealth


def _fmt_rate(x: float | None) -> str:
    return "—" if x is None else f"{x:.0%}"


def _fmt_pulse(avg: float | None, trend: float | None) -> str:
    if avg is None:
        return "—"
    arrow = "" if trend is None else (" ↑" if trend > 0.25 else " ↓" if trend < -0.25 else " →")
    return f"{avg:.1f}{arrow}"


def health_reply(healths: list[ProgramHealth]) -> Reply:
    if not healths:
        return Reply(text="No programs yet.", title="Circle health")
    sections = []
    total_risk = 0
    for h in healths:
        p = h.program
        if h.round_number is None:
            sections.append(Section("No published round yet.", p.name))
            continue
        total_risk += len(h.at_risk)
        head = (f"Round {h.round_number} · {len(h.circles)} circles · answer rate {_fmt_rate(h.overall('answer_rate'))}"
                f" · met {_fmt_rate(h.overall('meeting_rate'))} · pulse {_fmt_pulse(h.overall('pulse_avg'), h.overall('pulse_trend'))}"
                f" · waitlist {h.waitlist}")
        lines = [head, ""]
        for ch in h.circles:
            last = ch.last_activity.date().isoformat() if ch.last_activity else "never"
            flag = "⚠️ " if ch.risks else "✅ "
            lines.append(f"{flag}**{ch.name}** ({c.KIND_LABELS.get(ch.kind, ch.kind)}, {ch.members} members): "
                         f"answers {_fmt_rate(ch.answer_rate)}, met {_fmt_rate(ch.meeting_rate)}, "
                         f"pulse {_fmt_pulse(ch.pulse_avg, ch.pulse_trend)}, last activity {last}"
                         + (f" — at risk: {'; '.join(ch.risks)}" if ch.risks else ""))
        if h.rematch:
            lines.append("\nConsider rematching: " + "; ".join(f"{mid} ({reason})" for mid, reason in h.rematch))
        sections.append(Section("\n".join(lines), p.name))
    return Reply(text=f"{total_risk} circle(s) at risk.", title="Circle health", sections=sections)
