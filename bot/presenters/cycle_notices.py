"""Words for the weekly cycle: prompts, check-ins, nudges (and, from `circles.cycle`, the
coordinators' notices)."""

from __future__ import annotations

from bot.actions import AnswerPrompt, CheckinPress, PulsePress
from bot.ports import ALL_CAPABILITIES, Capabilities
from bot.presenters.registry import presents
from bot.replies import Button, Reply, Section
from circles import notices as n


@presents(n.PromptPosted)
def prompt_posted(x: n.PromptPosted, can: Capabilities = ALL_CAPABILITIES) -> Reply:
    how = "Reply in this thread to answer." if can.threads else "Press the Answer button to answer."
    return Reply(title=f"Week {x.cycle} prompt", text=f"{x.text}\n\n{how}",
                 visibility="in_channel",
                 buttons=[Button("Answer", *AnswerPrompt(x.post_id).encode(), "primary")])


@presents(n.CheckinDue)
def checkin_due(x: n.CheckinDue) -> Reply:
    def checkin(label: str, status: str, style: str = "default") -> Button:
        return Button(label, *CheckinPress(x.circle_id, x.cycle, status).encode(), style)  # type: ignore[arg-type]

    return Reply(
        title=f"Week {x.cycle} check-in",
        text="Did your circle meet this week? And how was it, from 1 (poor) to 5 (great)?",
        visibility="in_channel",
        buttons=[checkin("Yes", "met", "primary"), checkin("Not yet", "not_yet"),
                 checkin("We skipped", "skipped")]
        + [Button(str(r), *PulsePress(x.circle_id, x.cycle, r).encode()) for r in range(1, 6)],
    )


@presents(n.Nudge)
def nudge(x: n.Nudge) -> Reply:
    return Reply(title="Your circle is waiting for you",
                 text=f"Your circle's week {x.cycle} prompt is still open:",
                 sections=[Section(x.prompt_text)],
                 buttons=[Button("Answer the prompt", *AnswerPrompt(x.post_id).encode(), "primary")])
