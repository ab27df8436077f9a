"""Words for answers, check-ins and pulses."""

from __future__ import annotations

from bot.actions import (
    AnswerForm,
    Cancel,
    ChooseCircle,
    PulseComment,
    PulseCommentForm,
    form_id,
)
from bot.replies import Button, Form, FormField, Reply, ok
from circles.usecases.weekly import Answer, PromptRef, Rated, Recorded
from circles.usecases.which_circle import CircleOption

CHECKIN_WORDS = {"met": "you met", "not_yet": "you haven't met yet",
                 "skipped": "your circle didn't meet this week"}


def answer_recorded(r: Recorded) -> Reply:
    return ok("Updated your answer." if r.replaced else "Thanks, your answer is recorded.")


def answers(ref: PromptRef, rows: list[Answer]) -> Reply:
    text = ("\n\n".join(f"**{a.name}**: {a.text}" for a in rows) if rows
            else "No answers yet — be the first!")
    return Reply(text=text, title=f"{ref.circle_name} · week {ref.cycle}: {ref.text}")


def answer_form(ref: PromptRef) -> Reply:
    fid, context = form_id(AnswerForm(ref.post_id))
    label = ref.text[:45] + ("…" if len(ref.text) > 45 else "")
    return Reply(text="", form=Form(fid, "Your answer", [
        FormField("answer", label, "long_text", required=True)], "Send", context))


def checked_in(r: Recorded, status: str) -> Reply:
    return ok(f"{'Updated' if r.replaced else 'Noted'}: {CHECKIN_WORDS[status]} (week {r.cycle}).")


def pulsed(r: Rated) -> Reply:
    reply = ok(f"{'Updated' if r.replaced else 'Thanks'}: you rated week {r.cycle} {r.rating}/5.")
    if not r.has_comment:
        reply.buttons = [Button("Add a comment", *PulseComment(r.circle_id, r.cycle).encode())]
    return reply


def pulse_comment_form(circle_id: int, cycle: int) -> Reply:
    fid, context = form_id(PulseCommentForm(circle_id, cycle))
    return Reply(text="", form=Form(fid, "Pulse comment", [
        FormField("comment", "What made this week good or hard?", "long_text", required=True)],
        "Send", context))


def comment_saved() -> Reply:
    return ok("Thanks for the comment.")


def choose_circle(options: list[CircleOption], pending_id: int) -> Reply:
    """You're in more than one circle: which one is this for? One button per circle."""
    return Reply(text="You're in more than one circle. Which one is this for? (Next time you can "
                      'say it in the command, e.g. `program="Name"` or `circle=N`.)',
                 tone="warning",
                 buttons=[Button(o.name[:75], *ChooseCircle(pending_id, o.circle_id).encode())
                          for o in options] + [Button("Cancel", *Cancel(pending_id).encode())])
