"""Words for programs, rounds, rematches and coordinators."""

from __future__ import annotations

from typing import Any

from bot import commands as c
from bot.actions import (
    Cancel,
    ConfirmProgramDelete,
    ConfirmRematch,
    ConfirmRoundEnd,
    PublishRound,
    ReshuffleRound,
)
from bot.presenters.formatting import counted
from bot.presenters.why import why_text
from bot.replies import Button, Reply, Section, error, ok
from circles.usecases.placement import Rematched, RematchPlan
from circles.usecases.program_delete import DeletePlan
from circles.usecases.programs import CustomPrompt, ProgramUpdate, ProgramView
from circles.usecases.rounds import Ended, EndPlan, Moved, Published, RoundView


def program_created(p: ProgramView) -> Reply:
    size = f"{p.min_size}-{p.max_size}" if p.min_size != p.max_size else str(p.min_size)
    return ok(f'Created "{p.name}": {c.KIND_LABELS[p.kind]} circles of {size}, {p.cadence} on '
              f"{p.day} at {p.time} ({p.timezone}). Enrolment is open.", visibility="in_channel")


SETTING_WORDS = {"size": "circle size", "tz": "time zone", "weeks": "round length",
                 "repeat": "repeat window", "hours": "shared hours", "weights": "matching weights"}


def setting(key: str, value: Any) -> str:
    """One program setting as a person reads it: ``circle size 2-4``, not ``size=(2, 4)``."""
    label = SETTING_WORDS.get(key, key)
    if key == "size" and isinstance(value, tuple):
        lo, hi = value
        return f"{label} {lo}" if lo == hi else f"{label} {lo}-{hi}"
    if key == "weights" and isinstance(value, dict | tuple | list):
        pairs = value.items() if isinstance(value, dict) else value
        return f"{label} " + ", ".join(f"{k} {v:g}" for k, v in pairs)
    if key == "weeks":
        return f"{label} {counted(int(value), 'week')}"
    if key == "repeat":
        return f"{label} {counted(int(value), 'round')}"
    if key == "hours":
        return f"at least {counted(int(value), 'shared hour')} a week"
    if key == "kind":
        return f"kind {c.KIND_LABELS.get(str(value), value)}"
    return f"{label} {value}"


SCHEDULE_SETTINGS = ("cadence", "day", "time", "tz", "weeks")
DAY_NAMES = {"mon": "Monday", "tue": "Tuesday", "wed": "Wednesday", "thu": "Thursday",
             "fri": "Friday", "sat": "Saturday", "sun": "Sunday"}


def program_updated(name: str, given: dict[str, Any], u: ProgramUpdate | None = None) -> Reply:
    """Say exactly what changes now and what waits for the next round."""
    shown = ", ".join(setting(k, v) for k, v in given.items())
    text = f'Updated "{name}": {shown}.'
    if u is None or (u.running_round is None and u.draft_round is None):
        return ok(text + " It applies from the next round preview.")
    if u.running_round is not None:
        if u.kept is not None:
            t = u.kept
            when = (f"{t.cadence} on {DAY_NAMES.get(t.day, t.day)} at {t.time} "
                    f"({'each circle’s local time' if t.timezone == 'member-local' else t.timezone})")
            text += (f" Round {u.running_round} is running: it keeps its schedule ({when}) and "
                     "its end date until it ends; the new schedule starts with the next round.")
        if any(k not in SCHEDULE_SETTINGS for k in given):
            text += (f" The circles of round {u.running_round} stay as they are; people who join "
                     "it late are placed with the new matching settings from now on.")
    if u.draft_round is not None:
        text += (f" Draft round {u.draft_round} was formed with the old settings: "
                 "`/circle round preview fresh` forms it again with the new ones.")
    else:
        text += " New circles use the new settings from the next round preview."
    return ok(text)


def enrolment(name: str, open_: bool) -> Reply:
    if open_:
        return ok(f'Enrolment for "{name}" is open. Members can `/circle join`.')
    return ok(f'Enrolment for "{name}" is closed.')


def program_list(ps: list[ProgramView]) -> Reply:
    if not ps:
        return Reply(text='No programs yet. A coordinator can create one: `/circle program create "Name"`.')
    lines = [f"• **{p.name}** — {c.KIND_LABELS[p.kind]}, {p.cadence} {p.day} {p.time}, enrolment "
             f"{'open' if p.enrolment_open else 'closed'}" for p in ps]
    return Reply(text="\n".join(lines), title="Programs")


def prompt_added(program_name: str) -> Reply:
    return ok(f'Added a custom prompt to "{program_name}"; circles get it before the built-in ones.')


def prompt_list(program_name: str, prompts: list[CustomPrompt]) -> Reply:
    if not prompts:
        return Reply(text=f'"{program_name}" has no custom prompts; circles get the built-in ones. '
                          'Add one with `/circle prompt add "..."`.', title="Custom prompts")
    lines = [f"{x.number}. {x.text}" for x in prompts]
    lines.append("Remove one with `/circle prompt remove N`.")
    return Reply(text="\n".join(lines), title=f"Custom prompts of {program_name}")


def prompt_removed(program_name: str, x: CustomPrompt) -> Reply:
    return ok(f'Removed custom prompt {x.number} from "{program_name}": {x.text}')


def program_renamed(old: str, new: str) -> Reply:
    return ok(f'Renamed "{old}" to "{new}". Circles already formed keep their names.')


def coordinator_removed(name: str) -> Reply:
    return ok(f"{name} is no longer a coordinator.")


def round_reply(rv: RoundView, title: str) -> Reply:
    sections = []
    for circle in rv.circles:
        names = ", ".join(n + (" (mentor)" if role == "mentor" else "") for n, role in circle.members)
        why = why_text(circle.why) if circle.why is not None else circle.explanation
        sections.append(Section(f"{names}\n_{why}_ · match score {circle.score:.1f}",
                                f"Circle {circle.number}"))
    text = (f"{counted(len(rv.circles), 'circle')}. Match score {rv.score:.1f}: the higher, the "
            "more the members share interests, goals, skills and free time (compare it between "
            "reshuffles of this round).")
    if rv.broken_rules:
        text += "\nRules I had to break: " + "; ".join(rv.broken_rules)
    if rv.waitlist:
        text += "\nWaitlist: " + "; ".join(f"{n} ({why})" for n, why in rv.waitlist)
    return Reply(text=text, title=title, sections=sections)


def optimality_line(rv: RoundView) -> str:
    """What the matcher could prove about the draft: best possible, or how close."""
    o = rv.optimality
    if o is None:
        return ""
    if not o.proven and o.gap is None:
        return ("\nThese circles come from a search: there are too many ways to group this many "
                "people to check them all, so how close they are can't be measured.")
    if o.proven:
        return "\nThese circles are the best possible under the program's rules."
    return f"\nThese circles are within {max(o.gap or 0.0, 0.001):.1%} of the best possible."


def preview(rv: RoundView) -> Reply:
    reply = round_reply(rv, f'Draft round {rv.number} of "{rv.program_name}"')
    reply.text += optimality_line(rv)
    if rv.kept:
        reply.text += (f"\nThis is your adjusted draft ({counted(rv.moves, 'move')} by hand), "
                       "unchanged. To form it again from scratch and drop the moves, use "
                       "`/circle round preview fresh` or press Start over.")
    else:
        reply.text += "\nAdjust with `/circle round move @member to N`, then publish."
    again = (Button("Start over", *ReshuffleRound(rv.program_id).encode()) if rv.moves
             else Button("Reshuffle", *ReshuffleRound(rv.program_id).encode()))
    reply.buttons = [Button("Publish", *PublishRound(rv.program_id).encode(), "primary"), again]
    return reply


def _bounds(m: Moved) -> list[str]:
    """What a move left outside the program's circle size (allowed, but said)."""
    out = []
    lo, hi = m.min_size, m.max_size
    if hi and m.target_size > hi:
        out.append(f"circle {m.circle_number} now has {m.target_size} people, above the "
                   f"maximum of {hi}")
    if m.source_number is not None and lo and m.source_size < lo:
        out.append(f"circle {m.source_number} now has {counted(m.source_size, 'person', 'people')}, "
                   f"below the minimum of {lo}")
    return out


def moved(m: Moved) -> Reply:
    text = f"Moved {m.name} to circle {m.circle_number} in the draft."
    if m.removed_circle is not None:
        text += (f" Circle {m.removed_circle} was left empty, so I took it out of the draft "
                 "(the circles after it moved up one number).")
    broken = _bounds(m)
    if broken:
        text += (" Heads up: " + "; ".join(broken) + ". That's allowed: publish it like this, "
                 "move someone back, or start over with `/circle round preview fresh`.")
        return Reply(text=text, tone="warning")
    return ok(text)


def published(p: Published) -> Reply:
    return ok(f'Round {p.number} of "{p.program_name}" is live: {counted(p.circles, "circle")}. I\'m creating '
              "their spaces and welcoming everyone now.", visibility="in_channel")


def ended(e: Ended) -> Reply:
    return ok(f"Round {e.number} ended; its spaces will be archived. Form the next one with "
              "`/circle round preview`.")


def confirm_round_end(plan: EndPlan, pending_id: int) -> Reply:
    return Reply(text=f'End round {plan.number} of "{plan.program_name}" now? Its '
                      f"{counted(plan.circles, 'circle')} {'stops' if plan.circles == 1 else 'stop'} "
                      "getting prompts and their spaces are archived; members are asked how "
                      "their goals went.",
                 tone="warning",
                 buttons=[Button("End the round", *ConfirmRoundEnd(pending_id).encode(), "danger"),
                          Button("Keep it running", *Cancel(pending_id).encode())])


def confirm_program_delete(plan: DeletePlan, pending_id: int) -> Reply:
    what = []
    if plan.rounds:
        what.append(f"its {counted(plan.rounds, 'past round')} (circles, answers, check-ins and pulses)")
    if plan.members:
        what.append(f"{counted(plan.members, 'enrolment')}")
    also = (" with " + " and ".join(what)) if what else ""
    return Reply(text=f'Delete "{plan.name}"{also}? This can\'t be undone. Members\' goals and '
                      "their other programs stay.",
                 tone="warning",
                 buttons=[Button("Delete it", *ConfirmProgramDelete(pending_id).encode(), "danger"),
                          Button("Keep it", *Cancel(pending_id).encode())])


def program_deleted(name: str) -> Reply:
    return ok(f'Deleted "{name}" and everything in it.')


def confirm_rematch(plan: RematchPlan, pending_id: int) -> Reply:
    why = why_text(plan.reason) if plan.reason is not None else plan.why
    return Reply(text=f"Move {plan.member_name} from {plan.source_name} to {plan.target_name}? {why}",
                 tone="warning",
                 buttons=[Button("Move them", *ConfirmRematch(pending_id).encode(), "primary"),
                          Button("Cancel", *Cancel(pending_id).encode())])


def rematched(r: Rematched) -> Reply:
    return ok(f"Moved {r.member_name} to {r.circle_name}; they've been told.")


def coordinator_added(name: str) -> Reply:
    return ok(f"{name} is now a coordinator.")


def coordinator_list(names: list[str], platform_admins_too: bool) -> Reply:
    extra = " Workspace admins are coordinators too." if platform_admins_too else ""
    return Reply(text=(", ".join(names) or "No coordinators have been added yet.") + extra,
                 title="Coordinators")


def coordinators_only(command: str) -> Reply:
    return error(f"`/circle {command}` is for coordinators. Ask one of them "
                 "(`/circle coordinators list`) if you need this.")


def help_reply(title: str, rows: list[tuple[str, str]], topic: str, footer: str = "") -> Reply:
    """Help rows as bullets; an indented label (a command's option) as a sub-bullet."""
    lines = []
    for label, text in rows:
        if label.startswith("  "):
            lines.append(f"    ◦ `{label.strip()}` — {text}")
        elif label[:1].isupper():  # "Values", "Example": a plain heading, not a command
            lines.append(f"• {label}: {text}")
        else:
            lines.append(f"• `{label}` — {text}")
    text = "\n".join(lines)
    if footer:
        text += f"\n\n{footer}"
    return Reply(text=text, title=title)


def only_coordinators_may(action: str) -> Reply:
    if action == "rematch":
        return error("Only coordinators can confirm a rematch.")
    return error("Only coordinators can do that.")


def bad_button() -> Reply:
    return error("I couldn't understand that button press. Please try the command instead.")
