"""The engine's use cases. Each takes a Session (one unit of work) and tenant-scoped
objects; each either completes or raises DomainError before anything is committed.

No function here knows about chat platforms: outgoing messages are outbox rows whose payload
is a neutral reply dict, rendered later by whichever adapter serves the workspace.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from circles import matching
from circles.availability import utc_slots
from circles.model import (
    AuditEvent,
    CheckIn,
    Circle,
    Goal,
    Member,
    Membership,
    PairHistory,
    PendingAction,
    Profile,
    Program,
    ProgramMember,
    Prompt,
    PromptPost,
    Pulse,
    Response,
    Round,
    Workspace,
)
from circles.outbox import enqueue
from circles.prompts import choose_prompt

PAIR_KINDS = {"mentor_pair", "near_peer", "reverse", "skill_swap"}
MENTOR_KINDS = {"pod", "mentor_pair", "near_peer", "reverse"}


class DomainError(Exception):
    """A request the engine refuses, with the message to show the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# ------------------------------------------------------------------ tenancy


def get_workspace(session: Session, platform: str, external_id: str, name: str = "") -> Workspace:
    ws = session.scalar(
        select(Workspace).where(Workspace.platform == platform, Workspace.external_id == external_id)
    )
    if ws is None:
        ws = Workspace(platform=platform, external_id=external_id, name=name or external_id)
        session.add(ws)
        session.flush()
    elif not ws.active:
        # A command can only arrive from an installed app: this is a reinstall.
        ws.active = True
    return ws


def deactivate_workspace(session: Session, platform: str, external_id: str) -> bool:
    ws = session.scalar(
        select(Workspace).where(Workspace.platform == platform, Workspace.external_id == external_id)
    )
    if ws is None:
        return False
    ws.active = False
    audit(session, ws.id, None, "workspace.deactivated", {"platform": platform})
    return True


def get_member(session: Session, ws: Workspace, external_id: str, display_name: str = "") -> Member:
    m = session.scalar(
        select(Member).where(Member.workspace_id == ws.id, Member.external_id == external_id)
    )
    if m is None:
        m = Member(workspace_id=ws.id, external_id=external_id, display_name=display_name or external_id)
        session.add(m)
        session.flush()
    elif display_name and m.display_name != display_name:
        m.display_name = display_name
    return m


def find_member(
    session: Session, ws: Workspace, external_id: str | None = None, name: str | None = None
) -> Member:
    """Resolve a mention inside this workspace only: a user of another workspace is simply
    not found, which is what keeps tenants apart."""
    q = select(Member).where(Member.workspace_id == ws.id)
    m = None
    if external_id:
        m = session.scalar(q.where(Member.external_id == external_id))
    if m is None and name:
        m = session.scalar(q.where(func.lower(Member.display_name) == name.lower()))
        if m is None:
            m = session.scalar(q.where(func.lower(Member.external_id) == name.lower()))
    if m is None:
        who = f"<@{external_id}>" if external_id else f"@{name}"
        raise DomainError(f"I can't find {who} in this workspace. They need to `/circle join` first.")
    return m


def audit(session: Session, workspace_id: int, actor: int | None, kind: str, detail: dict[str, Any]) -> None:
    session.add(AuditEvent(workspace_id=workspace_id, actor_member_id=actor, kind=kind, detail=detail))


def get_profile(session: Session, m: Member) -> Profile:
    p = session.scalar(select(Profile).where(Profile.member_id == m.id, Profile.workspace_id == m.workspace_id))
    if p is None:
        p = Profile(workspace_id=m.workspace_id, member_id=m.id)
        session.add(p)
        session.flush()
    return p


# ---------------------------------------------------------------- members


def programs(session: Session, ws: Workspace) -> list[Program]:
    return list(session.scalars(select(Program).where(Program.workspace_id == ws.id).order_by(Program.id)))


def resolve_program(session: Session, ws: Workspace, name: str = "", *, open_only: bool = False) -> Program:
    """A named program, or the only (open) one; a clear error otherwise."""
    all_programs = programs(session, ws)
    if name:
        for p in all_programs:
            if p.name.lower() == name.lower():
                return p
        names = ", ".join(f'"{p.name}"' for p in all_programs) or "none yet"
        raise DomainError(f'There is no program "{name}". Programs: {names}.')
    candidates = [p for p in all_programs if p.enrolment_open] if open_only else all_programs
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        if open_only:
            raise DomainError("No program is open for enrolment right now. A coordinator can open one.")
        raise DomainError(
            'There are no programs yet. A coordinator can create one: `/circle program create "Name"`.'
        )
    names = ", ".join(f'"{p.name}"' for p in candidates)
    raise DomainError(f"There are several programs ({names}); add program=\"Name\".")


def join(session: Session, ws: Workspace, m: Member, role: str, program_name: str = "") -> tuple[Program | None, bool]:
    """Enrol a member (and set their role). Returns (program, was_already_enrolled)."""
    profile = get_profile(session, m)
    program: Program | None = None
    if programs(session, ws):
        program = resolve_program(session, ws, program_name, open_only=True)
    elif program_name:
        resolve_program(session, ws, program_name)
    already = False
    if program is not None:
        existing = session.scalar(
            select(ProgramMember).where(
                ProgramMember.workspace_id == ws.id,
                ProgramMember.program_id == program.id,
                ProgramMember.member_id == m.id,
            )
        )
        already = existing is not None and m.enrolled and profile.role == role
        if existing is None:
            session.add(ProgramMember(workspace_id=ws.id, program_id=program.id, member_id=m.id))
    else:
        already = m.enrolled and profile.role == role
    m.enrolled = True
    profile.role = role
    audit(session, ws.id, m.id, "member.joined", {"role": role, "program": program.id if program else None})
    return program, already


def update_profile(session: Session, m: Member, values: dict[str, Any]) -> Profile:
    profile = get_profile(session, m)
    for key, value in values.items():
        setattr(profile, key, value)
    return profile


def pause(session: Session, m: Member, until: dt.date, today: dt.date) -> None:
    if until <= today:
        raise DomainError(f"{until.isoformat()} is not in the future. Pick a later date.")
    if until > today + dt.timedelta(days=366):
        raise DomainError("You can pause for up to a year at a time.")
    if not m.enrolled:
        raise DomainError("You haven't joined yet, so there's nothing to pause. Try `/circle join`.")
    m.paused_until = until


def resume(session: Session, m: Member, today: dt.date) -> None:
    if m.paused_until is None or m.paused_until <= today:
        raise DomainError("You're not paused, so there's nothing to resume.")
    m.paused_until = None


def is_paused(m: Member, today: dt.date) -> bool:
    return m.paused_until is not None and m.paused_until > today


def active_memberships(session: Session, m: Member) -> list[tuple[Circle, Membership]]:
    rows = session.execute(
        select(Circle, Membership)
        .join(Membership, Membership.circle_id == Circle.id)
        .join(Round, Round.id == Circle.round_id)
        .where(
            Membership.workspace_id == m.workspace_id,
            Membership.member_id == m.id,
            Membership.active.is_(True),
            Round.status == "active",
        )
        .order_by(Circle.id)
    ).all()
    return [(c, ms) for c, ms in rows]


def request_confirmation(session: Session, m: Member, kind: str, data: dict[str, Any]) -> PendingAction:
    session.execute(
        delete(PendingAction).where(
            PendingAction.workspace_id == m.workspace_id,
            PendingAction.member_id == m.id,
            PendingAction.kind == kind,
        )
    )
    pa = PendingAction(workspace_id=m.workspace_id, member_id=m.id, kind=kind, data=data)
    session.add(pa)
    session.flush()
    return pa


def take_confirmation(session: Session, m: Member, pending_id: int, kind: str) -> PendingAction:
    pa = session.scalar(
        select(PendingAction).where(
            PendingAction.id == pending_id,
            PendingAction.workspace_id == m.workspace_id,
            PendingAction.member_id == m.id,
            PendingAction.kind == kind,
        )
    )
    if pa is None:
        raise DomainError("That request has expired or was already handled. Nothing changed.")
    session.delete(pa)
    return pa


def check_can_leave(session: Session, m: Member) -> None:
    if not m.enrolled and not active_memberships(session, m):
        raise DomainError("You're not in any circle or program, so there's nothing to leave.")


def leave(session: Session, m: Member) -> list[Circle]:
    left = []
    for circle, ms in active_memberships(session, m):
        ms.active = False
        left.append(circle)
    m.enrolled = False
    session.execute(
        delete(ProgramMember).where(ProgramMember.workspace_id == m.workspace_id, ProgramMember.member_id == m.id)
    )
    audit(session, m.workspace_id, m.id, "member.left", {"circles": [c.id for c in left]})
    return left


# ---------------------------------------------------------------- programs


def create_program(session: Session, ws: Workspace, actor: Member, **fields: Any) -> Program:
    name = fields["name"]
    if any(p.name.lower() == name.lower() for p in programs(session, ws)):
        raise DomainError(f'A program called "{name}" already exists. Pick another name.')
    lo, hi = fields.pop("size", (4, 6))
    kind = fields.get("kind", "peer")
    if kind in PAIR_KINDS:
        lo, hi = 2, 2
    program = Program(workspace_id=ws.id, min_size=lo, max_size=hi, **fields)
    session.add(program)
    session.flush()
    audit(session, ws.id, actor.id, "program.created", {"program": program.id})
    return program


def set_enrolment(session: Session, program: Program, open_: bool) -> None:
    if program.enrolment_open == open_:
        state = "open" if open_ else "closed"
        raise DomainError(f'Enrolment for "{program.name}" is already {state}.')
    program.enrolment_open = open_


def add_prompt(session: Session, program: Program, text: str) -> Prompt:
    p = Prompt(workspace_id=program.workspace_id, program_id=program.id, text=text)
    session.add(p)
    session.flush()
    session.info.pop("circles.prompts", None)
    return p


def program_candidates(session: Session, program: Program, today: dt.date) -> list[tuple[Member, Profile]]:
    """Who should be matched: enrolled in the program, not paused."""
    rows = session.execute(
        select(Member, Profile)
        .join(ProgramMember, ProgramMember.member_id == Member.id)
        .join(Profile, Profile.member_id == Member.id)
        .where(
            ProgramMember.workspace_id == program.workspace_id,
            ProgramMember.program_id == program.id,
            Member.enrolled.is_(True),
        )
        .order_by(Member.id)
    ).all()
    return [(m, p) for m, p in rows if not is_paused(m, today)]


def to_candidate(m: Member, p: Profile, kind: str, ref: dt.date) -> matching.Candidate:
    role = p.role if p.role in ("mentor", "mentee") else "peer"
    if kind in MENTOR_KINDS and role == "peer":
        role = "mentor" if p.experience >= 4 else "mentee"
    return matching.Candidate(
        id=m.id,
        role=role,
        experience=p.experience,
        department=p.department or "",
        interests=frozenset(p.interests or ()),
        goals=frozenset(p.goals or ()),
        skills_offered=frozenset(p.skills_offered or ()),
        skills_wanted=frozenset(p.skills_wanted or ()),
        availability=utc_slots(p.availability or (), p.timezone, ref),
        never_with=frozenset(int(x) for x in (p.never_with or ())),
        capacity=p.mentor_capacity if role == "mentor" else 1,
    )


def match_settings(program: Program, seed: int) -> matching.MatchSettings:
    base = matching.Weights(department=0.5 if program.kind == "cross_functional" else 0.0)
    weights = dataclasses.replace(base, **(program.weights or {}))
    return matching.MatchSettings(
        kind=program.kind,  # type: ignore[arg-type]
        min_size=program.min_size,
        max_size=program.max_size,
        repeat_window=program.repeat_window,
        min_shared_hours=program.min_shared_hours,
        weights=weights,
        seed=seed,
    )


def recent_pairs(session: Session, program: Program, upto_round: int) -> set[frozenset[int]]:
    if program.repeat_window <= 0:
        return set()
    rows = session.execute(
        select(PairHistory.member_a, PairHistory.member_b).where(
            PairHistory.workspace_id == program.workspace_id,
            PairHistory.program_id == program.id,
            PairHistory.round_number > upto_round - program.repeat_window,
        )
    ).all()
    return {frozenset((a, b)) for a, b in rows}


def latest_round(session: Session, program: Program, status: str | None = None) -> Round | None:
    q = select(Round).where(Round.workspace_id == program.workspace_id, Round.program_id == program.id)
    if status:
        q = q.where(Round.status == status)
    return session.scalar(q.order_by(Round.number.desc()).limit(1))


def preview_round(session: Session, program: Program, today: dt.date, seed: int | None = None) -> Round:
    """Form (or re-form) the draft round for a program."""
    draft = latest_round(session, program, "draft")
    if draft is not None:
        _delete_round(session, draft)
    last = latest_round(session, program)
    number = (last.number + 1) if last else 1
    people = program_candidates(session, program, today)
    if len(people) < 2:
        raise DomainError(
            f'"{program.name}" has {len(people)} enrolled member(s); at least 2 are needed to form circles.'
        )
    starts = today
    seed = seed if seed is not None else random.Random(f"{program.id}:{number}").randrange(2**31)
    names = {m.id: m.display_name for m, _ in people}
    result = matching.form_circles(
        [to_candidate(m, p, program.kind, starts) for m, p in people],
        match_settings(program, seed),
        recent_pairs(session, program, number),
        names=names,
    )
    rnd = Round(
        workspace_id=program.workspace_id,
        program_id=program.id,
        number=number,
        status="draft",
        starts_on=starts,
        ends_on=starts + dt.timedelta(weeks=program.round_weeks),
        seed=seed,
        score=result.score,
        broken_rules=list(result.broken_rules),
        waitlist={str(k): v for k, v in result.waitlist.items()},
    )
    session.add(rnd)
    session.flush()
    for i, group in enumerate(result.groups, start=1):
        circle = Circle(
            workspace_id=program.workspace_id,
            round_id=rnd.id,
            number=i,
            name=f"{program.name} · circle {i}",
            kind=program.kind,
            explanation=group.explanation,
            score=group.score,
        )
        session.add(circle)
        session.flush()
        for mid in group.member_ids:
            role = "mentor" if group.mentor_id == mid else ("mentee" if group.mentor_id else "peer")
            session.add(Membership(workspace_id=program.workspace_id, circle_id=circle.id, member_id=mid, role=role))
    session.flush()
    session.refresh(rnd)
    return rnd


def _delete_round(session: Session, rnd: Round) -> None:
    ids = [c.id for c in rnd.circles]
    if ids:
        session.execute(delete(Membership).where(Membership.circle_id.in_(ids)))
        session.execute(delete(Circle).where(Circle.id.in_(ids)))
    session.delete(rnd)
    session.flush()


def round_members(session: Session, rnd: Round) -> dict[int, list[tuple[Member, Membership]]]:
    rows = session.execute(
        select(Member, Membership, Circle.id)
        .join(Membership, Membership.member_id == Member.id)
        .join(Circle, Circle.id == Membership.circle_id)
        .where(Circle.round_id == rnd.id, Circle.workspace_id == rnd.workspace_id, Membership.active.is_(True))
        .order_by(Circle.number, Member.id)
    ).all()
    out: dict[int, list[tuple[Member, Membership]]] = {}
    for m, ms, cid in rows:
        out.setdefault(cid, []).append((m, ms))
    return out


def move_in_draft(session: Session, program: Program, m: Member, circle_number: int) -> Circle:
    draft = latest_round(session, program, "draft")
    if draft is None:
        raise DomainError("There's no draft round to adjust. Run `/circle round preview` first.")
    target = next((c for c in draft.circles if c.number == circle_number), None)
    if target is None:
        raise DomainError(f"The draft has circles 1 to {len(draft.circles)}; there is no circle {circle_number}.")
    ms = session.scalar(
        select(Membership).join(Circle).where(Circle.round_id == draft.id, Membership.member_id == m.id)
    )
    if ms is not None and ms.circle_id == target.id:
        raise DomainError(f"{m.display_name} is already in circle {circle_number}.")
    if ms is None:
        ms = Membership(workspace_id=program.workspace_id, circle_id=target.id, member_id=m.id)
        session.add(ms)
        draft.waitlist = {k: v for k, v in draft.waitlist.items() if k != str(m.id)}
    else:
        ms.circle_id = target.id
    session.flush()
    return target


def welcome_reply(session: Session, circle: Circle, members: Sequence[tuple[Member, Membership]]) -> dict[str, Any]:
    from_names = ", ".join(m.display_name for m, _ in members)
    mentor = next((m.display_name for m, ms in members if ms.role == "mentor"), None)
    lines = [f"Welcome to **{circle.name}**: {from_names}."]
    if mentor:
        lines.append(f"{mentor} is your mentor this round.")
    if circle.explanation:
        lines.append(f"Why you were matched: {circle.explanation}")
    lines.append("Each week I'll post a prompt here; reply in its thread to answer.")
    return {
        "text": "\n".join(lines),
        "title": "Your new circle",
        "visibility": "in_channel",
        "tone": "success",
        "mentions": [m.external_id for m, _ in members],
    }


def publish_round(session: Session, program: Program, hub: str | None = None) -> Round:
    draft = latest_round(session, program, "draft")
    if draft is None:
        raise DomainError("There's no draft round to publish. Run `/circle round preview` first.")
    active = latest_round(session, program, "active")
    if active is not None:
        raise DomainError(
            f"Round {active.number} is still active. End it first with `/circle round end`."
        )
    draft.status = "active"
    members = round_members(session, draft)
    for circle in draft.circles:
        people = members.get(circle.id, [])
        ids = sorted(m.id for m, _ in people)
        for i, a in enumerate(ids):
            for b in ids[i + 1 :]:
                session.add(
                    PairHistory(
                        workspace_id=program.workspace_id,
                        program_id=program.id,
                        round_id=draft.id,
                        round_number=draft.number,
                        member_a=a,
                        member_b=b,
                    )
                )
        enqueue(
            session, program.workspace_id, f"space:{circle.id}", "create_space", f"circle:{circle.id}",
            {"circle_id": circle.id, "name": circle_space_name(program, draft, circle),
             "members": [m.external_id for m, _ in people], "hub": hub or program.hub_channel},
        )
        enqueue(
            session, program.workspace_id, f"welcome:{circle.id}", "post", f"circle:{circle.id}",
            {"circle_id": circle.id, "reply": welcome_reply(session, circle, people)},
        )
    for mid, reason in draft.waitlist.items():
        m = session.get(Member, int(mid))
        if m is not None and m.workspace_id == program.workspace_id:
            enqueue(
                session, program.workspace_id, f"waitlist:{draft.id}:{m.id}", "dm", f"member:{m.id}",
                {"user": m.external_id, "reply": {"text": f"You're on the waitlist for the next round of "
                                                   f"{program.name}: {reason}", "visibility": "ephemeral"}},
            )
    session.flush()
    return draft


def circle_space_name(program: Program, rnd: Round, circle: Circle) -> str:
    """A channel-safe name; adapters add a suffix when the name is taken."""
    base = "".join(ch if ch.isalnum() else "-" for ch in program.name.lower()).strip("-")
    while "--" in base:
        base = base.replace("--", "-")
    return f"{base[:50]}-r{rnd.number}-c{circle.number}"


def end_round(session: Session, rnd: Round, now: dt.datetime) -> None:
    if rnd.status != "active":
        raise DomainError("That round isn't active.")
    rnd.status = "ended"
    for circle in rnd.circles:
        enqueue(session, rnd.workspace_id, f"archive:{circle.id}", "archive_space", f"circle:{circle.id}",
                {"circle_id": circle.id})
    rows = session.execute(
        select(Goal, Member)
        .join(Member, Member.id == Goal.member_id)
        .join(Membership, Membership.member_id == Member.id)
        .join(Circle, Circle.id == Membership.circle_id)
        .where(Circle.round_id == rnd.id, Goal.workspace_id == rnd.workspace_id, Goal.done.is_(False))
        .order_by(Goal.id)
    ).all()
    # de-duplicated here, not with DISTINCT: PostgreSQL has no equality operator for JSON
    for goal, m in {goal.id: (goal, m) for goal, m in rows}.values():
        enqueue(
            session, rnd.workspace_id, f"goalcheck:{rnd.id}:{goal.id}", "dm", f"member:{m.id}",
            {"user": m.external_id, "reply": {
                "text": f"The round has ended. How did goal {goal.number} go? \"{goal.text}\"",
                "buttons": [{"label": "Done", "action": "goal_done", "value": str(goal.id), "style": "primary"},
                            {"label": "Still working on it", "action": "goal_keep", "value": str(goal.id),
                             "style": "default"}],
                "visibility": "ephemeral"}},
        )


# ------------------------------------------------------------- the weekly cycle


def post_prompt(session: Session, circle: Circle, cycle: int, now: dt.datetime) -> PromptPost | None:
    """Post the week's prompt to a circle once (idempotent per circle and cycle)."""
    existing = session.scalar(
        select(PromptPost).where(PromptPost.workspace_id == circle.workspace_id,
                                 PromptPost.circle_id == circle.id, PromptPost.cycle == cycle)
    )
    if existing is not None:
        return None
    prompt = choose_prompt(session, circle, cycle)
    post = PromptPost(workspace_id=circle.workspace_id, circle_id=circle.id, cycle=cycle,
                      prompt_key=prompt.key, text=prompt.text, posted_at=now)
    session.add(post)
    session.flush()
    enqueue(
        session, circle.workspace_id, f"prompt:{circle.id}:{cycle}", "post", f"circle:{circle.id}",
        {"circle_id": circle.id, "prompt_post_id": post.id, "reply": {
            "title": f"Week {cycle} prompt", "text": prompt.text + "\n\nReply in this thread to answer.",
            "visibility": "in_channel",
            "buttons": [{"label": "Answer", "action": "answer", "value": str(post.id), "style": "primary"}]}},
    )
    return post


def checkin_and_pulse_reply(circle: Circle, cycle: int) -> dict[str, Any]:
    v = f"{circle.id}:{cycle}"
    return {
        "title": f"Week {cycle} check-in",
        "text": "Did your circle meet this week? And how was it, from 1 (poor) to 5 (great)?",
        "visibility": "in_channel",
        "buttons": [
            {"label": "Yes", "action": "checkin", "value": f"{v}:met", "style": "primary"},
            {"label": "Not yet", "action": "checkin", "value": f"{v}:not_yet", "style": "default"},
            {"label": "We skipped", "action": "checkin", "value": f"{v}:skipped", "style": "default"},
        ] + [{"label": str(r), "action": "pulse", "value": f"{v}:{r}", "style": "default"} for r in range(1, 6)],
    }


def request_checkin_and_pulse(session: Session, circle: Circle, cycle: int) -> None:
    enqueue(session, circle.workspace_id, f"checkin:{circle.id}:{cycle}", "post", f"circle:{circle.id}",
            {"circle_id": circle.id, "reply": checkin_and_pulse_reply(circle, cycle)})


def current_post(session: Session, m: Member) -> tuple[Circle, PromptPost] | None:
    for circle, _ in active_memberships(session, m):
        post = session.scalar(
            select(PromptPost).where(PromptPost.workspace_id == m.workspace_id, PromptPost.circle_id == circle.id)
            .order_by(PromptPost.cycle.desc()).limit(1)
        )
        if post is not None:
            return circle, post
    return None


def post_by_id(session: Session, ws: Workspace, post_id: int) -> PromptPost:
    post = session.scalar(select(PromptPost).where(PromptPost.id == post_id, PromptPost.workspace_id == ws.id))
    if post is None:
        raise DomainError("I can't find that prompt any more.")
    return post


def post_by_message(session: Session, ws: Workspace, space: str, message_ref: str) -> PromptPost | None:
    """The prompt a thread belongs to. A platform's message id may be unique only within
    its channel, so the circle's space is part of the key."""
    return session.scalar(
        select(PromptPost).join(Circle, Circle.id == PromptPost.circle_id).where(
            PromptPost.workspace_id == ws.id, PromptPost.message_ref == message_ref,
            Circle.space_id == space)
    )


def require_circle_member(session: Session, m: Member, circle_id: int) -> Circle:
    for circle, _ in active_memberships(session, m):
        if circle.id == circle_id:
            return circle
    raise DomainError("You're not in that circle, so I can't record that for you.")


def record_response(session: Session, m: Member, post: PromptPost, text: str) -> tuple[Response, bool]:
    """Store (or replace) a member's answer. Returns (response, replaced)."""
    require_circle_member(session, m, post.circle_id)
    r = session.scalar(select(Response).where(Response.prompt_post_id == post.id, Response.member_id == m.id))
    if r is not None:
        r.text = text
        return r, True
    r = Response(workspace_id=m.workspace_id, prompt_post_id=post.id, member_id=m.id, text=text)
    session.add(r)
    session.flush()
    return r, False


def answers(session: Session, post: PromptPost) -> list[tuple[Member, Response]]:
    rows = session.execute(
        select(Member, Response).join(Response, Response.member_id == Member.id)
        .where(Response.workspace_id == post.workspace_id, Response.prompt_post_id == post.id)
        .order_by(Response.created_at, Response.id)
    ).all()
    return [(m, r) for m, r in rows]


def current_cycle(session: Session, circle: Circle) -> int:
    latest = session.scalar(
        select(func.max(PromptPost.cycle)).where(PromptPost.workspace_id == circle.workspace_id,
                                                 PromptPost.circle_id == circle.id)
    )
    return int(latest or 1)


def only_circle(session: Session, m: Member) -> Circle:
    circles = active_memberships(session, m)
    if not circles:
        raise DomainError("You're not in an active circle yet. Once a round is published you'll be told.")
    return circles[0][0]


def record_checkin(session: Session, m: Member, circle: Circle, cycle: int, status: str) -> bool:
    require_circle_member(session, m, circle.id)
    row = session.scalar(select(CheckIn).where(CheckIn.circle_id == circle.id, CheckIn.cycle == cycle,
                                               CheckIn.member_id == m.id))
    if row is not None:
        row.status = status
        return True
    session.add(CheckIn(workspace_id=m.workspace_id, circle_id=circle.id, cycle=cycle, member_id=m.id, status=status))
    return False


def record_pulse(session: Session, m: Member, circle: Circle, cycle: int, rating: int, comment: str = "") -> bool:
    require_circle_member(session, m, circle.id)
    if not 1 <= rating <= 5:
        raise DomainError("A pulse is from 1 to 5.")
    row = session.scalar(select(Pulse).where(Pulse.circle_id == circle.id, Pulse.cycle == cycle,
                                             Pulse.member_id == m.id))
    if row is not None:
        row.rating = rating
        if comment:
            row.comment = comment
        return True
    session.add(Pulse(workspace_id=m.workspace_id, circle_id=circle.id, cycle=cycle, member_id=m.id,
                      rating=rating, comment=comment))
    return False


# ------------------------------------------------------------------- goals


def goals(session: Session, m: Member, open_only: bool = False) -> list[Goal]:
    q = select(Goal).where(Goal.workspace_id == m.workspace_id, Goal.member_id == m.id)
    if open_only:
        q = q.where(Goal.done.is_(False))
    return list(session.scalars(q.order_by(Goal.number)))


def set_goal(session: Session, m: Member, text: str, due: dt.date | None, today: dt.date) -> Goal:
    if due is not None and due < today:
        raise DomainError(f"{due.isoformat()} is in the past. Pick a due date from today on.")
    number = (session.scalar(select(func.max(Goal.number)).where(Goal.member_id == m.id)) or 0) + 1
    g = Goal(workspace_id=m.workspace_id, member_id=m.id, number=number, text=text, due_on=due)
    session.add(g)
    session.flush()
    return g


def goal_by_number(session: Session, m: Member, number: int) -> Goal:
    g = session.scalar(select(Goal).where(Goal.workspace_id == m.workspace_id, Goal.member_id == m.id,
                                          Goal.number == number))
    if g is None:
        have = ", ".join(str(x.number) for x in goals(session, m)) or "none yet"
        raise DomainError(f"You have no goal {number}. Your goals: {have}.")
    return g


def goal_done(session: Session, m: Member, number: int) -> Goal:
    g = goal_by_number(session, m, number)
    if g.done:
        raise DomainError(f"Goal {number} is already done. Nice!")
    g.done = True
    return g


def goal_note(session: Session, m: Member, number: int, text: str, now: dt.datetime) -> Goal:
    g = goal_by_number(session, m, number)
    g.notes = [*g.notes, {"at": now.isoformat(), "text": text}]
    return g


# ----------------------------------------------------------------- rematch


def rematch_target(session: Session, m: Member, today: dt.date) -> tuple[Circle, Circle, str]:
    """Pick a better circle for a member: (from, to, explanation)."""
    current = active_memberships(session, m)
    if not current:
        raise DomainError(f"{m.display_name} isn't in an active circle, so there's nothing to rematch.")
    circle, _ = current[0]
    rnd = session.get(Round, circle.round_id)
    assert rnd is not None
    program = session.get(Program, rnd.program_id)
    assert program is not None
    if all(len(people) >= program.max_size
           for cid, people in round_members(session, rnd).items() if cid != circle.id):
        raise DomainError("Every other circle in this round is full, so I can't move them now.")
    target_id, why = best_circle_for(session, m, program, rnd, today, exclude=circle.id)
    if target_id is None:
        raise DomainError(f"No other circle fits {m.display_name}: {why}")
    target = session.get(Circle, target_id)
    assert target is not None
    return circle, target, why


def move_member(session: Session, m: Member, source: Circle, target: Circle) -> None:
    ms = session.scalar(select(Membership).where(Membership.circle_id == source.id, Membership.member_id == m.id,
                                                 Membership.active.is_(True)))
    if ms is None:
        raise DomainError(f"{m.display_name} has already left {source.name}. Nothing changed.")
    ms.active = False
    join_circle(session, m, target, ms.role)
    enqueue(session, m.workspace_id, f"rematch:{m.id}:{source.id}:{target.id}", "dm", f"member:{m.id}",
            {"user": m.external_id, "reply": {"text": f"You've been moved to **{target.name}**. "
                                               f"{target.explanation}", "visibility": "ephemeral"}})
    audit(session, m.workspace_id, None, "member.rematched", {"member": m.id, "from": source.id, "to": target.id})


# ----------------------------------------------------------- coordinators


def is_coordinator(m: Member) -> bool:
    return m.is_coordinator


def coordinators(session: Session, ws: Workspace) -> list[Member]:
    return list(session.scalars(select(Member).where(Member.workspace_id == ws.id, Member.is_coordinator.is_(True))
                                .order_by(Member.display_name)))


@dataclass
class StatusView:
    circles: list[tuple[Circle, list[str]]]
    prompt: PromptPost | None
    answered: bool
    goals: list[Goal]
    paused_until: dt.date | None
    enrolled: bool


def status(session: Session, m: Member, today: dt.date) -> StatusView:
    circles = []
    for circle, _ in active_memberships(session, m):
        rnd = session.get(Round, circle.round_id)
        assert rnd is not None
        names = [x.display_name for x, _ in round_members(session, rnd).get(circle.id, []) if x.id != m.id]
        circles.append((circle, names))
    cp = current_post(session, m)
    answered = False
    if cp is not None:
        answered = session.scalar(select(Response.id).where(Response.prompt_post_id == cp[1].id,
                                                            Response.member_id == m.id)) is not None
    return StatusView(circles, cp[1] if cp else None, answered, goals(session, m, open_only=True),
                      m.paused_until if is_paused(m, today) else None, m.enrolled)


# ------------------------------------------------------------- late joiners


def place_late_joiner(session: Session, m: Member, today: dt.date) -> tuple[Program, Circle | None, str] | None:
    """Someone enrolled (or finished their profile) while a round is running: put them into
    the best circle with room, or on the waitlist with the reason. None when there is nothing
    to do (no active round, paused, or already placed)."""
    if not m.enrolled or is_paused(m, today):
        return None
    enrolled = session.scalars(
        select(Program).join(ProgramMember, ProgramMember.program_id == Program.id)
        .where(ProgramMember.workspace_id == m.workspace_id, ProgramMember.member_id == m.id)
        .order_by(Program.id)
    ).all()
    in_circles = {c.round_id for c, _ in active_memberships(session, m)}
    for program in enrolled:
        rnd = latest_round(session, program, "active")
        if rnd is None or rnd.id in in_circles:
            continue
        target_id, why = best_circle_for(session, m, program, rnd, today)
        if target_id is None:
            rnd.waitlist = {**rnd.waitlist, str(m.id): why}
            return program, None, why
        target = session.get(Circle, target_id)
        assert target is not None
        join_circle(session, m, target, "mentee" if program.kind in MENTOR_KINDS else "peer")
        rnd.waitlist = {k: v for k, v in rnd.waitlist.items() if k != str(m.id)}
        enqueue(session, m.workspace_id, f"joined:{target.id}:{m.id}", "post", f"circle:{target.id}",
                {"circle_id": target.id, "reply": {
                    "text": f"Please welcome {m.display_name}, who joins this circle. {why}",
                    "visibility": "in_channel", "tone": "success", "mentions": [m.external_id]}})
        audit(session, m.workspace_id, m.id, "member.placed_late", {"circle": target.id})
        return program, target, why
    return None


def best_circle_for(session: Session, m: Member, program: Program, rnd: Round, today: dt.date,
                    exclude: int | None = None) -> tuple[int | None, str]:
    """The matcher's choice of a running circle for one member (late joiner or rematch):
    (circle id, why) or (None, the waitlist reason)."""
    members = round_members(session, rnd)
    ids = [x.id for people in members.values() for x, _ in people]
    profiles = {p.member_id: p for p in session.scalars(
        select(Profile).where(Profile.workspace_id == m.workspace_id, Profile.member_id.in_(ids)))}
    options = {c.id: [to_candidate(x, profiles[x.id], program.kind, today)
                      for x, _ in members.get(c.id, []) if x.id in profiles]
               for c in rnd.circles if not c.archived and c.id != exclude}
    me = to_candidate(m, get_profile(session, m), program.kind, today)
    return matching.place_late_joiner(
        me, options, match_settings(program, rnd.seed), recent_pairs(session, program, rnd.number))


def join_circle(session: Session, m: Member, circle: Circle, role: str) -> None:
    """Add a member to a running circle: membership (reactivated if they were in it before),
    who they now have met, and an invitation into the circle's channel or thread."""
    earlier = session.scalar(select(Membership).where(Membership.circle_id == circle.id,
                                                      Membership.member_id == m.id))
    if earlier is not None:
        earlier.active = True
    else:
        session.add(Membership(workspace_id=m.workspace_id, circle_id=circle.id, member_id=m.id,
                               role=role))
    rnd = session.get(Round, circle.round_id)
    assert rnd is not None
    met = {(h.member_a, h.member_b) for h in session.scalars(select(PairHistory).where(
        PairHistory.workspace_id == m.workspace_id, PairHistory.round_id == rnd.id))}
    for other, _ in round_members(session, rnd).get(circle.id, []):
        a, b = sorted((m.id, other.id))
        if a != b and (a, b) not in met:
            session.add(PairHistory(workspace_id=m.workspace_id, program_id=rnd.program_id,
                                    round_id=rnd.id, round_number=rnd.number, member_a=a, member_b=b))
    enqueue(session, m.workspace_id, f"invite:{circle.id}:{m.id}", "invite", f"circle:{circle.id}",
            {"circle_id": circle.id, "users": [m.external_id]})


def update_program(session: Session, program: Program, **fields: Any) -> None:
    if "size" in fields:
        lo, hi = fields.pop("size")
        if program.kind not in PAIR_KINDS:
            program.min_size, program.max_size = lo, hi
    for key, value in fields.items():
        setattr(program, key, value)


def resolve_avoid(session: Session, ws: Workspace, me: Member, refs: list[Any]) -> list[int]:
    """Opt-outs are stored as member ids of this workspace, never as raw platform ids."""
    ids = []
    for ref in refs:
        other = find_member(session, ws, ref.external_id, ref.name)
        if other.id == me.id:
            raise DomainError("You can't opt out of meeting yourself.")
        ids.append(other.id)
    return sorted(set(ids))
