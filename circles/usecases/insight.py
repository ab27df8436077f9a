"""What coordinators and members see at a glance: health per program, and the App Home."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from circles.health import ProgramHealth, program_health
from circles.usecases import goals as goals_uc
from circles.usecases.context import Actor
from circles.usecases.membership import Status, status
from circles.usecases.programs import program, programs


def health_of(actor: Actor, program_name: str, now: dt.datetime) -> list[ProgramHealth]:
    """Health of one named program, or of every program of the workspace."""
    ps = [program(actor, program_name)] if program_name else programs(actor.session, actor.workspace)
    return [program_health(actor.session, p, now) for p in ps]


@dataclass(frozen=True)
class Home:
    """The facts of a member's home tab: their status, all their goals, and (coordinators
    only) program health."""

    status: Status
    goals: list[goals_uc.GoalView]
    health: list[ProgramHealth] | None


def home(actor: Actor, now: dt.datetime) -> Home:
    today = now.date()
    health = health_of(actor, "", now) if actor.is_coordinator else None
    return Home(status(actor, today), goals_uc.goals(actor), health)
