"""A member's home tab: status, goals and (coordinators) health, as replies to lay out."""

from __future__ import annotations

from bot.presenters import goals, members
from bot.presenters.health import health_reply
from bot.replies import Reply
from circles.usecases.insight import Home


def home(h: Home) -> list[Reply]:
    replies = [members.status(h.status)]
    if not (h.status.enrolled and h.status.goals):  # status lists open goals itself
        replies.append(goals.goal_list(h.goals))
    if h.health is not None:
        replies.append(health_reply(h.health))
    return replies
