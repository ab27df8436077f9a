"""What a person sees while a long command is still being worked out.

Health of a big program, forming a draft round and publishing one can take seconds; the
platform is answered at once with this, and the real answer follows when it is ready
(Slack's response_url, Discord's follow-up)."""

from __future__ import annotations

from bot.replies import Reply


def working_on_it(command: str) -> Reply:
    return Reply(text=f"Working on it… `/circle {command}` can take a little while in a big "
                      "program; the answer will appear here as soon as it is ready.")
