"""What coordinators and members see at a glance: health per program, one circle in detail,
and the App Home."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from circles.errors import DomainError
from circles.health import CircleDetail, ProgramHealth, circle_detail, program_health
from circles.health.program import CIRCLES_LISTED
from circles.model import Member
from circles.usecases import goals as goals_uc
from circles.usecases.context import Actor
from circles.usecases.membership import Status, status
from circles.usecases.programs import program, program_by_id, programs


def health_of(actor: Actor, program_name: str, now: dt.datetime,
              min_respondents: int | None = None) -> list[ProgramHealth]:
    """Health of one named program, or of every program of the workspace."""
    ps = [program(actor, program_name)] if program_name else programs(actor.session, actor.workspace)
    return [program_health(actor.session, p, now, min_respondents) for p in ps]


def health_of_program(actor: Actor, program_id: int, now: dt.datetime,
                      min_respondents: int | None = None, *, page: int | None = None,
                      per_page: int = CIRCLES_LISTED) -> ProgramHealth:
    """Health of one program by id (a paging button carries the id and the page)."""
    return program_health(actor.session, program_by_id(actor, program_id), now, min_respondents,
                          page=page, per_page=per_page)


def circle_health(actor: Actor, program_name: str, number: int, now: dt.datetime,
                  min_respondents: int | None = None) -> CircleDetail:
    """`/circle health circle N`: circle N of the program's latest published round."""
    return circle_detail(actor.session, program(actor, program_name), number, now, min_respondents)


def member_external_id(actor: Actor, member_id: int) -> str:
    """The platform id of a member of this workspace (a rematch button carries our id)."""
    ext = actor.session.scalar(select(Member.external_id).where(Member.id == member_id,
                                                                 Member.workspace_id == actor.workspace.id))
    if ext is None:
        raise DomainError("member_gone")
    return ext


@dataclass(frozen=True)
class Home:
    """The facts of a member's home tab: their status, all their goals, and (coordinators
    only) program health."""

    status: Status
    goals: list[goals_uc.GoalView]
    health: list[ProgramHealth] | None


def home(actor: Actor, now: dt.datetime, min_respondents: int | None = None) -> Home:
    today = now.date()
    health = health_of(actor, "", now, min_respondents) if actor.is_coordinator else None
    return Home(status(actor, today), goals_uc.goals(actor), health)
