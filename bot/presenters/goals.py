"""Words for goals."""

from __future__ import annotations

from bot.presenters.formatting import counted
from bot.replies import Reply, ok
from circles.usecases.goals import GoalView


def _due(g: GoalView) -> str:
    return f" by {g.due_on.isoformat()}" if g.due_on else ""


def goal_set(g: GoalView) -> Reply:
    return ok(f"Goal {g.number} set{_due(g)}: {g.text}")


def goal_done(g: GoalView) -> Reply:
    return ok(f"🎉 Goal {g.number} done: {g.text}")


def goal_kept(g: GoalView) -> Reply:
    return ok(f"Keep going! Goal {g.number} stays open.")


def goal_noted(g: GoalView) -> Reply:
    return ok(f"Noted on goal {g.number} ({g.notes} note{'s' if g.notes != 1 else ''}).")


def goal_edited(g: GoalView) -> Reply:
    return ok(f"Goal {g.number} is now{_due(g)}: {g.text}")


def goal_deleted(g: GoalView) -> Reply:
    return ok(f"Deleted goal {g.number}: {g.text}")


def goal_list(gs: list[GoalView]) -> Reply:
    if not gs:
        return Reply(text='No goals yet. `/circle goal set "..." by 2027-02-01` to add one.',
                     title="Your goals")
    lines = []
    for g in gs:
        mark = "✓" if g.done else "○"
        due = f" (by {g.due_on.isoformat()})" if g.due_on else ""
        notes = f" — {counted(g.notes, 'note')}, latest: {g.latest_note}" if g.notes else ""
        lines.append(f"{mark} {g.number}. {g.text}{due}{notes}")
    return Reply(text="\n".join(lines), title="Your goals")
