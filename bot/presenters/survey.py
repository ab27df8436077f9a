"""Words for the closing survey and for `/circle health rounds`."""

from __future__ import annotations

from bot.actions import SurveyForm, SurveyHelped, SurveyJoin, SurveyOpen, form_id
from bot.presenters import formatting as fmt
from bot.presenters.registry import presents
from bot.replies import Button, Form, FormField, Reply, Section, ok
from circles import notices as n
from circles.rounds_report import RoundsReport, RoundSummary
from circles.survey import SurveyAnswered, SurveyResult, SurveyView

OUTCOME_LABELS = {"met": "Met", "progressed": "Progressed", "not_yet": "Not yet"}
HELPED_LABELS = [("1", "1 — not at all"), ("2", "2"), ("3", "3"), ("4", "4"), ("5", "5 — a lot")]
YES_NO = [("yes", "Yes"), ("no", "No")]


@presents(n.SurveyInvite)
def survey_invite(x: n.SurveyInvite) -> Reply:
    goals = (f" You had {fmt.counted(len(x.goals), 'open goal')}; the form asks how each went."
             if x.goals else "")
    return Reply(
        title=f"Round {x.round_number} of {x.program_name} has ended",
        text=("A few quick questions help make the next round better. Your answers are never "
              "shown with your name. Did your circle help you toward your goal? (1 = not at "
              "all, 5 = a lot)" + goals),
        buttons=_buttons(x.round_id))


def survey_form(v: SurveyView) -> Reply:
    fid, context = form_id(SurveyForm(v.round_id))
    fields = [
        FormField("helped", "Did your circle help you toward your goal?", "select", HELPED_LABELS,
                  initial=str(v.helped) if v.helped else "", required=v.helped is None),
        FormField("join_again", "Would you join a circle again?", "select", YES_NO,
                  initial="" if v.join_again is None else ("yes" if v.join_again else "no"),
                  required=v.join_again is None),
        FormField("suggestion", "What should change? (optional, never shown with your name)",
                  "long_text", initial=v.suggestion, max_length=1000),
    ]
    for g in v.goals[:5]:  # a modal holds few inputs; five goals is plenty for one round
        label = f"Goal {g.number}: {g.text}"
        fields.append(FormField(f"goal_{g.goal_id}", label[:45] + ("…" if len(label) > 45 else ""),
                                "select", list(OUTCOME_LABELS.items()), initial=g.outcome or ""))
    return Reply(text="", form=Form(fid, f"Round {v.round_number} survey", fields, "Send", context))


def _buttons(round_id: int, helped: bool = False, join: bool = False) -> list[Button]:
    """The survey's buttons, leaving out the questions already answered."""
    out = [] if helped else [Button(str(r), *SurveyHelped(round_id, r).encode()) for r in range(1, 6)]
    if not join:
        out += [Button("I'd join again", *SurveyJoin(round_id, "yes").encode(), "primary"),
                Button("I wouldn't join again", *SurveyJoin(round_id, "no").encode())]
    return [*out, Button("Answer everything in a form", *SurveyOpen(round_id).encode())]


def survey_answered(a: SurveyAnswered) -> Reply:
    """The same reply for a first answer and a repeated one; what is left stays pressable."""
    reply = ok(f"Thanks, your answer for round {a.round_number} of {a.program_name} is noted.")
    if not a.complete:
        reply.text += " Answer the rest whenever you like, here or in the form."
        reply.buttons = _buttons(a.round_id, a.helped, a.join_again)
    return reply


# ------------------------------------------------------------------ health rounds


def _survey_text(s: SurveyResult, min_group: int) -> str:
    if not s.shown:
        return (f"survey: {fmt.counted(s.respondents, 'answer')} of {s.invited} — results show "
                f"from {min_group} answers")
    helped = fmt.MISSING if s.helped_avg is None else f"{s.helped_avg:.1f}/5"
    outcomes = ", ".join(f"{OUTCOME_LABELS[k].lower()} {v}" for k, v in s.outcomes.items())
    return (f"survey: {s.respondents} of {s.invited} answered; helped {helped}, would join "
            f"again {fmt.rate(s.join_again_rate)}; goals: {outcomes}")


def _round_section(r: RoundSummary, min_group: int) -> Section:
    status = "ended" if r.status == "ended" else "running"
    answers = "no prompt yet" if r.answer_rate is None else fmt.rate(r.answer_rate)
    meetings = "no check-in yet" if r.meeting_rate is None else fmt.rate(r.meeting_rate)
    lines = [f"{fmt.counted(r.members, 'member')} in {fmt.counted(r.circles, 'circle')}; "
             f"answers {answers}, met {meetings}, pulse {fmt.pulse_of_five(r.pulse_avg)}, "
             f"goals met {fmt.MISSING if r.goals_met is None else r.goals_met}",
             _survey_text(r.survey, min_group)]
    if r.survey.shown and r.survey.suggestions:
        lines.append("What should change (anonymous):")
        lines.extend(f"• {s}" for s in r.survey.suggestions[:10])
        if len(r.survey.suggestions) > 10:
            lines.append(f"… and {len(r.survey.suggestions) - 10} more in the export")
    return Section("\n".join(lines), f"Round {r.number} ({status}, {r.starts_on} to {r.ends_on})")


def rounds_reply(reports: list[RoundsReport]) -> Reply:
    sections = []
    for rep in reports:
        if not rep.rounds:
            sections.append(Section("No published round yet.", rep.program_name))
            continue
        sections.append(Section(f"{fmt.counted(len(rep.rounds), 'round')}, newest last. Pulse "
                                f"counts circles where at least {rep.min_group} rated; survey "
                                f"results show from {rep.min_group} answers.", rep.program_name))
        sections.extend(_round_section(r, rep.min_group) for r in rep.rounds[-6:])
    if not sections:
        return Reply(text="There are no programs yet.")
    return Reply(text="", title="Rounds compared", sections=sections)
