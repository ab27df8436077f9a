"""Words for what the engine tells circles and members about membership."""

from __future__ import annotations

from bot.actions import GoalDone, GoalKeep
from bot.ports import ALL_CAPABILITIES, Capabilities
from bot.presenters.registry import presents
from bot.presenters.why import waitlist_reason, why_text
from bot.replies import Button, Reply
from circles import notices as n


@presents(n.CircleFormed)
def circle_formed(x: n.CircleFormed, can: Capabilities = ALL_CAPABILITIES) -> Reply:
    lines = [f"Welcome to **{x.circle_name}**: {', '.join(x.member_names)}."]
    if x.mentor_name:
        lines.append(f"{x.mentor_name} is your mentor this round.")
    why = why_text(x.why) if x.why is not None else x.explanation
    if why:
        lines.append(f"Why you were matched: {why}")
    lines.append("Each week I'll post a prompt here; reply in its thread to answer." if can.threads
                 else "Each week I'll post a prompt here; answer it with its Answer button or "
                      "`/circle answer`.")
    return Reply(text="\n".join(lines), title="Your new circle", visibility="in_channel",
                 tone="success", mentions=list(x.mentions))


@presents(n.Waitlisted)
def waitlisted(x: n.Waitlisted) -> Reply:
    return Reply(text=f"You're on the waitlist for the next round of {x.program_name}: "
                      f"{waitlist_reason(x.reason)}.")


@presents(n.MemberPlaced)
def member_placed(x: n.MemberPlaced) -> Reply:
    why = why_text(x.reason) if x.reason is not None else x.why
    return Reply(text=f"Please welcome {x.member_name}, who joins this circle. {why}",
                 visibility="in_channel", tone="success", mentions=[x.mention])


@presents(n.Rematched)
def rematched(x: n.Rematched) -> Reply:
    why = why_text(x.why) if x.why is not None else x.explanation
    return Reply(text=f"You've been moved to **{x.circle_name}**. Why: {why}" if why
                 else f"You've been moved to **{x.circle_name}**.")


@presents(n.GoalCheck)
def goal_check(x: n.GoalCheck) -> Reply:
    return Reply(
        text=f'The round has ended. How did goal {x.number} go? "{x.text}"',
        buttons=[Button("Done", *GoalDone(x.goal_id).encode(), "primary"),
                 Button("Still working on it", *GoalKeep(x.goal_id).encode())])


@presents(n.MemberDeparted)
def member_departed(x: n.MemberDeparted) -> Reply:
    """Neutral on purpose: no reason, the same words whether they left or were moved."""
    return Reply(text=f"{x.member_name} is no longer part of this circle.",
                 visibility="in_channel")
