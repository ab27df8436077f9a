"""Words for `/circle health circle N`: one circle's participation (with names), its weeks,
and its pulse and pulse comments (never with names, and only for weeks where enough
members answered)."""

from __future__ import annotations

from bot.presenters import formatting as fmt
from bot.presenters.health import NO_PROMPT, risk_text
from bot.replies import Reply, Section
from circles.health import CircleDetail, CircleWeekFacts, MemberParticipation


def _member_line(m: MemberParticipation) -> str:
    if m.last_answer_cycle is None:
        last = "hasn't answered yet"
    else:
        last = f"last answered week {m.last_answer_cycle}"
    quiet = " — silent for the last two prompts" if m.silent else ""
    return (f"• {m.display_name}: {fmt.counted(m.answers, 'answer')}, {last}; "
            f"goals {m.goals_met}/{m.goals_set} met{quiet}")


def _week_line(w: CircleWeekFacts) -> str:
    met = f", {w.met} met" if w.checkins else ""
    return f"• Week {w.cycle}: {fmt.counted(w.answers, 'answer')}, {w.checkins} checked in{met}"


def _pulse_line(w: CircleWeekFacts, n: int) -> str:
    if w.pulses == 0:
        return f"• Week {w.cycle}: no pulse yet"
    if w.pulse_avg is None:
        return f"• Week {w.cycle}: hidden (fewer than {n} answered)"
    return f"• Week {w.cycle}: {fmt.pulse_of_five(w.pulse_avg)} from {w.pulses} answers"


def circle_health_reply(d: CircleDetail) -> Reply:
    h = d.health
    state = "ended" if d.ended else "active"
    if h.prompts == 0:
        rates = f"answers {NO_PROMPT}"
    else:
        rates = f"answers {fmt.rate(h.answer_rate)} · met {fmt.rate(h.meeting_rate)}"
    last = h.last_activity.date().isoformat() if h.last_activity else "never"
    head = (f"Round {d.round_number} ({state}) · {fmt.counted(h.members, 'member')} · {rates} · "
            f"goals {h.goals_set} set, {h.goals_met} met · last activity {last}")
    if h.risks:
        head += "\n⚠️ At risk: " + "; ".join(risk_text(r) for r in h.risks)
    sections = [Section("\n".join(_member_line(m) for m in d.members) or "Nobody is in this circle now.",
                        "Participation")]
    if d.weeks:
        sections.append(Section("\n".join(_week_line(w) for w in d.weeks), "Answers and check-ins"))
    pulse = [_pulse_line(w, d.min_respondents) for w in d.weeks]
    if h.pulse_first is not None and h.pulse_last is not None and h.pulse_first != h.pulse_last:
        pulse.append(f"Over the round: from {fmt.pulse(h.pulse_first)} to {fmt.pulse(h.pulse_last)}")
    sections.append(Section("\n".join(pulse) or "No pulse yet.",
                            f"Pulse (anonymous; shown for weeks where at least {d.min_respondents} answered)"))
    if d.comments:
        sections.append(Section("\n".join(f"• “{c}”" for c in d.comments), "Pulse comments (anonymous)"))
    return Reply(text=head, title=f"Circle health · {h.name}", sections=sections)
