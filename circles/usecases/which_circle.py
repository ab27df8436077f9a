"""Which of a member's circles an answer, check-in or pulse is for. Someone in circles of
two programs names one (``program=`` or ``circle=N``); when they don't and it is ambiguous,
the caller offers them the choice instead of silently picking the first."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from circles.errors import DomainError
from circles.model import Circle, Program, PromptPost, Round
from circles.usecases.context import Actor
from circles.usecases.memberships import active_memberships


@dataclass(frozen=True)
class CircleOption:
    circle_id: int
    name: str
    program: str
    number: int


def circle_options(actor: Actor) -> list[CircleOption]:
    """The member's active circles, with the program each belongs to."""
    s, m = actor.session, actor.member
    circles = [c for c, _ in active_memberships(s, m)]
    if not circles:
        return []
    programs = dict(s.execute(select(Round.id, Program.name).join(Program, Program.id == Round.program_id)
                              .where(Round.workspace_id == m.workspace_id,
                                     Round.id.in_({c.round_id for c in circles}))).all())
    return [CircleOption(c.id, c.name, programs.get(c.round_id, ""), c.number) for c in circles]


def pick_circle(actor: Actor, program: str = "", number: int | None = None) -> Circle | None:
    """The one circle meant, or None when several fit and the member must choose. Refused
    when they have no circle, or none fits what they named."""
    options = circle_options(actor)
    if not options:
        raise DomainError("no_active_circle")
    fits = [o for o in options if (not program or o.program.lower() == program.lower())
            and (number is None or o.number == number)]
    if not fits:
        raise DomainError("no_such_circle_of_yours", program=program, number=number,
                          circles=[o.name for o in options])
    if len(fits) > 1:
        return None
    circle = actor.session.get(Circle, fits[0].circle_id)
    assert circle is not None
    return circle


def newest_post(actor: Actor, circle: Circle) -> int:
    """The circle's newest prompt, to answer; refused when it has had none yet."""
    post_id = actor.session.scalar(
        select(PromptPost.id).where(PromptPost.workspace_id == circle.workspace_id,
                                    PromptPost.circle_id == circle.id)
        .order_by(PromptPost.cycle.desc()).limit(1))
    if post_id is None:
        raise DomainError("nothing_to_answer")
    return post_id
