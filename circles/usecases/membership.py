"""Joining, profiles, pausing, leaving, and a member's own status."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select

from circles.errors import DomainError
from circles.model import Member, PendingAction, Profile, ProgramMember, Response
from circles.once import insert_once
from circles.rules import MAX_PAUSE_DAYS, is_paused
from circles.usecases import goals as goals_uc
from circles.usecases.context import Actor, audit, find_member, get_profile
from circles.usecases.departures import membership_ended
from circles.usecases.enrolments import RoleView, enrolment_to_change, roles
from circles.usecases.matchmaking import enrolment
from circles.usecases.memberships import active_memberships, circle_members
from circles.usecases.placement import Placement, place_late_joiner
from circles.usecases.programs import programs, resolve_program
from circles.usecases.weekly import PromptRef, current_prompt


@dataclass(frozen=True)
class Joined:
    program_name: str | None
    role: str
    already: bool
    returning: bool  # they had a profile before: placed (or waitlisted) at once
    placement: Placement | None
    welcome_back: bool = False  # they had left (or never finished joining) and came back


def join(actor: Actor, role: str, program_name: str, today: dt.date,
         timezone: str | None = None) -> Joined:
    """Enrol a member in a program with a role in that program (their role elsewhere stays);
    a returning member is placed at once."""
    session, ws, m = actor.session, actor.workspace, actor.member
    profile = get_profile(session, m)
    program = None
    if programs(session, ws):
        program = resolve_program(session, ws, program_name, open_only=True)
    elif program_name:
        resolve_program(session, ws, program_name)
    existing = enrolment(session, program, m.id) if program is not None else None
    already = m.enrolled and (existing.role == role if existing is not None else program is None)
    if program is not None and existing is None:
        # a racing "join" may insert it first: that is the same join
        existing, _ = insert_once(session, ProgramMember(workspace_id=ws.id, program_id=program.id,
                                                         member_id=m.id, role=role,
                                                         joined_at=actor.now),
                                  lambda: enrolment(session, program, m.id))
    if existing is not None:
        existing.role = role
    name = program.name if program else None
    came_back = not m.enrolled
    m.enrolled = True
    audit(session, ws.id, m.id, "member.joined",
          {"role": role, "program": program.id if program else None})
    if already:
        return Joined(name, role, True, False, None)
    if timezone and profile.timezone == "UTC":
        profile.timezone = timezone
    returning = bool(profile.interests or profile.goals or profile.skills_offered)
    placement = place_late_joiner(actor, today, program.id if program else None) if returning else None
    return Joined(name, role, False, returning, placement, came_back and returning)


@dataclass(frozen=True)
class ProfileView:
    role: str
    experience: int
    department: str
    timezone: str
    interests: list[str]
    goals: list[str]
    offers: list[str]
    wants: list[str]
    availability: list[tuple[str, int, int]]
    mentor_capacity: int
    never_with: list[str]  # display names
    roles: tuple[RoleView, ...] = ()  # one per program joined; role/capacity above: the latest
    role_program: str | None = None  # the program ``role`` is for (the latest joined)


def profile(actor: Actor) -> ProfileView:
    p = get_profile(actor.session, actor.member)
    names = sorted(actor.session.scalars(select(Member.display_name).where(
        Member.workspace_id == actor.workspace.id, Member.id.in_(p.never_with or [])))) \
        if p.never_with else []
    mine = tuple(roles(actor.session, actor.member))
    latest = mine[-1] if mine else RoleView("", "peer", 3)
    return ProfileView(latest.role, p.experience, p.department or "", p.timezone,
                       list(p.interests), list(p.goals), list(p.skills_offered),
                       list(p.skills_wanted), [tuple(x) for x in p.availability],  # type: ignore[misc]
                       latest.mentor_capacity, names, mine, latest.program or None)


ENROLMENT_FIELDS = ("role", "mentor_capacity")


def update_profile(actor: Actor, values: dict[str, Any], today: dt.date,
                   strict: bool = True) -> Placement | None:
    """Save profile fields; a member who joined mid-round is then placed (or waitlisted).
    ``role`` and ``mentor_capacity`` go to one enrolment: ``program``'s, or the latest."""
    values = dict(values)
    program_name = values.pop("program", "")
    if "avoid" in values:
        values["never_with"] = _resolve_avoid(actor, values.pop("avoid"))
    per_program = {k: values.pop(k) for k in ENROLMENT_FIELDS if k in values}
    if per_program and not strict and not roles(actor.session, actor.member):
        per_program = {}  # the form of someone in no program yet (no role to set there)
    if per_program:
        _, e = enrolment_to_change(actor.session, actor.member, program_name)
        for key, value in per_program.items():
            setattr(e, key, value)
    prof: Profile = get_profile(actor.session, actor.member)
    for key, value in values.items():
        setattr(prof, key, value)
    return place_late_joiner(actor, today)


def role_program(actor: Actor, values: dict[str, Any]) -> str | None:
    """Which program a role or capacity change in ``values`` went to, for the reply of someone
    in several programs (with one, there is nothing to tell apart)."""
    if not any(k in values for k in ENROLMENT_FIELDS) or len(roles(actor.session, actor.member)) < 2:
        return None
    p, _ = enrolment_to_change(actor.session, actor.member, values.get("program", ""))
    return p.name


def _resolve_avoid(actor: Actor, refs: list[Any]) -> list[int]:
    """Opt-outs are stored as member ids of this workspace, never as raw platform ids."""
    ids = []
    for ref in refs:
        other = find_member(actor.session, actor.workspace, ref.external_id, ref.name)
        if other.id == actor.member.id:
            raise DomainError("avoid_self")
        ids.append(other.id)
    return sorted(set(ids))


def pause(actor: Actor, until: dt.date, today: dt.date) -> None:
    if until <= today:
        raise DomainError("pause_not_future", until=until)
    if until > today + dt.timedelta(days=MAX_PAUSE_DAYS):
        raise DomainError("pause_too_long")
    if not actor.member.enrolled:
        raise DomainError("pause_not_joined")
    actor.member.paused_until = until


def resume(actor: Actor, today: dt.date) -> None:
    if not is_paused(actor.member.paused_until, today):
        raise DomainError("not_paused")
    actor.member.paused_until = None


# ------------------------------------------------------------- confirmations


def request_confirmation(actor: Actor, kind: str, data: dict[str, Any]) -> int:
    """Park an action until the person confirms it; returns the pending id for the buttons."""
    m = actor.member
    actor.session.execute(delete(PendingAction).where(
        PendingAction.workspace_id == m.workspace_id, PendingAction.member_id == m.id,
        PendingAction.kind == kind))
    pa = PendingAction(workspace_id=m.workspace_id, member_id=m.id, kind=kind, data=data,
                       created_at=actor.now)
    actor.session.add(pa)
    actor.session.flush()
    return pa.id


def take_confirmation(actor: Actor, pending_id: int, kind: str | None = None) -> dict[str, Any]:
    """The parked action's data, removed so it runs once; any kind when ``kind`` is None."""
    m = actor.member
    q = select(PendingAction).where(PendingAction.id == pending_id,
                                    PendingAction.workspace_id == m.workspace_id,
                                    PendingAction.member_id == m.id)
    if kind is not None:
        q = q.where(PendingAction.kind == kind)
    pa = actor.session.scalar(q)
    if pa is None:
        raise DomainError("confirmation_expired")
    actor.session.delete(pa)
    return dict(pa.data)


@dataclass(frozen=True)
class LeavePlan:
    pending_id: int
    circles: list[str]


def ask_to_leave(actor: Actor) -> LeavePlan:
    circles = [c.name for c, _ in active_memberships(actor.session, actor.member)]
    if not actor.member.enrolled and not circles:
        raise DomainError("nothing_to_leave")
    return LeavePlan(request_confirmation(actor, "leave", {}), circles)


def leave(actor: Actor, pending_id: int) -> list[str]:
    """Confirmed: leave every circle and program. Returns the circles left."""
    take_confirmation(actor, pending_id, "leave")
    session, m = actor.session, actor.member
    left = []
    for circle, ms in active_memberships(session, m):
        ms.active = False
        membership_ended(session, m, circle)
        left.append(circle)
    m.enrolled = False
    session.execute(delete(ProgramMember).where(ProgramMember.workspace_id == m.workspace_id,
                                                ProgramMember.member_id == m.id))
    audit(session, m.workspace_id, m.id, "member.left", {"circles": [c.id for c in left]})
    return [c.name for c in left]


# -------------------------------------------------------------------- status


@dataclass(frozen=True)
class Status:
    enrolled: bool
    paused_until: dt.date | None
    circles: list[tuple[str, list[str]]]  # (circle name, the other members' names)
    prompt: PromptRef | None
    answered: bool
    goals: list[goals_uc.GoalView]
    roles: tuple[RoleView, ...] = ()  # the programs joined and the role in each


def status(actor: Actor, today: dt.date) -> Status:
    """Read through the member's own circles only (cost grows with their circles)."""
    session, m = actor.session, actor.member
    circles = [(c.name, [x.display_name for x, _ in circle_members(session, c) if x.id != m.id])
               for c, _ in active_memberships(session, m)]
    ref = current_prompt(actor)
    answered = ref is not None and session.scalar(select(Response.id).where(
        Response.prompt_post_id == ref.post_id, Response.member_id == m.id)) is not None
    return Status(m.enrolled, m.paused_until if is_paused(m.paused_until, today) else None,
                  circles, ref, answered, goals_uc.goals(actor, open_only=True),
                  tuple(roles(session, m)))

