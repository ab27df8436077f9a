"""The closing survey: when a round ends every member is asked, privately, whether the circle
helped (1-5), whether they would join again, what should change (free text) and how each of
their open goals went (met / progressed / not yet).

The answers are the program's evaluation, so they follow the same anonymity rule as pulse
comments: nothing is ever attributed, and a round's aggregates and suggestions are shown only
when at least ``min_group(N)`` people answered (N = 3 by default, never below 2).

Each answer is kept once: the first press of "4" is the answer, a second press (or a second
replica handling the same click) is a no-op with the normal reply.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from circles import notices
from circles.errors import DomainError
from circles.model import (
    Circle,
    Goal,
    Member,
    Membership,
    Program,
    Round,
    SurveyResponse,
)
from circles.once import insert_once
from circles.outbox import enqueue_many
from circles.usecases.context import Actor

OUTCOMES = ("met", "progressed", "not_yet")
DEFAULT_MIN_GROUP = 3  # the pulse threshold rule of issue 12: N = 3 by default ...
FLOOR = 2  # ... and never below 2
DEFAULT_WINDOW_DAYS = 14


def min_group(n: int | None) -> int:
    """The anonymity threshold actually used: a configured N, never below 2.

    (A local copy of the pulse threshold rule health12 adds; the integrator can point both
    at one definition.)"""
    return max(FLOOR, n if n is not None else DEFAULT_MIN_GROUP)


# ------------------------------------------------------------------- sending


def send_surveys(session: Session, rnd: Round, program_name: str) -> int:
    """Queue one survey per active member of the round (key ``survey:r{round}:m{member}``),
    in the round-ending transaction. Returns how many were new."""
    people = session.execute(
        select(Member.id, Member.external_id)
        .join(Membership, Membership.member_id == Member.id)
        .join(Circle, Circle.id == Membership.circle_id)
        .where(Circle.round_id == rnd.id, Circle.workspace_id == rnd.workspace_id,
               Membership.active.is_(True))
        .order_by(Member.id)
    ).all()
    ids = sorted({mid for mid, _ in people})
    if not ids:
        return 0
    goals: dict[int, list[dict[str, Any]]] = {}
    for g in session.scalars(select(Goal).where(Goal.workspace_id == rnd.workspace_id,
                                                Goal.member_id.in_(ids), Goal.done.is_(False))
                             .order_by(Goal.member_id, Goal.number)):
        goals.setdefault(g.member_id, []).append({"id": g.id, "number": g.number, "text": g.text})
    rows = []
    for mid, ext in dict(people).items():
        n = notices.SurveyInvite(rnd.id, program_name, rnd.number, goals.get(mid, []))
        rows.append((f"survey:r{rnd.id}:m{mid}", "dm", f"member:{mid}",
                     {"user": ext, **notices.to_payload(n)}))
    return enqueue_many(session, rnd.workspace_id, rows)


# ------------------------------------------------------------------- answering


@dataclass(frozen=True)
class SurveyGoal:
    goal_id: int
    number: int
    text: str
    outcome: str | None


@dataclass(frozen=True)
class SurveyView:
    """What the form shows: the round, the member's goals and what is already answered."""

    round_id: int
    program_name: str
    round_number: int
    helped: int | None
    join_again: bool | None
    suggestion: str
    goals: list[SurveyGoal]


@dataclass(frozen=True)
class SurveyAnswered:
    round_id: int
    program_name: str
    round_number: int
    recorded: bool  # False: everything sent was already answered (a second press)
    helped: bool  # the 1-5 question is answered
    join_again: bool  # the join-again question is answered

    @property
    def complete(self) -> bool:
        return self.helped and self.join_again


def _round(actor: Actor, round_id: int, now: dt.datetime, window_days: int) -> tuple[Round, str]:
    """The round, when the actor may answer its survey now; a kind refusal otherwise."""
    s, m = actor.session, actor.member
    rnd = s.scalar(select(Round).where(Round.workspace_id == actor.workspace.id, Round.id == round_id))
    if rnd is None:
        raise DomainError("survey_not_yours")
    was_in = s.scalar(select(Membership.id).join(Circle, Circle.id == Membership.circle_id)
                      .where(Circle.round_id == rnd.id, Membership.member_id == m.id,
                             Membership.workspace_id == m.workspace_id).limit(1))
    program = s.get(Program, rnd.program_id)
    name = program.name if program is not None else ""
    if was_in is None:
        raise DomainError("survey_not_yours", program=name, number=rnd.number)
    closes = closes_at(rnd, window_days)
    if rnd.status != "ended" or now >= closes:
        raise DomainError("survey_closed", program=name, number=rnd.number,
                          closed_on=closes.date())
    return rnd, name


def closes_at(rnd: Round, window_days: int) -> dt.datetime:
    """The survey is open from the round's end until the end of ``ends_on + window_days``."""
    last = rnd.ends_on + dt.timedelta(days=window_days + 1)
    return dt.datetime.combine(last, dt.time(), dt.UTC)


def _row(actor: Actor, rnd: Round) -> SurveyResponse | None:
    return actor.session.scalar(select(SurveyResponse).where(
        SurveyResponse.round_id == rnd.id, SurveyResponse.member_id == actor.member.id))


def _goals(actor: Actor, row: SurveyResponse | None, wanted: list[int] | None = None) -> list[Goal]:
    q = select(Goal).where(Goal.workspace_id == actor.workspace.id, Goal.member_id == actor.member.id)
    if wanted is not None:
        q = q.where(Goal.id.in_(wanted))
    else:  # the form lists open goals and those this survey already marked
        marked = [int(k) for k in (row.goal_outcomes if row else {})]
        q = q.where(Goal.done.is_(False) | Goal.number.in_(marked))
    return list(actor.session.scalars(q.order_by(Goal.number)))


def survey_view(actor: Actor, round_id: int, now: dt.datetime, window_days: int) -> SurveyView:
    rnd, name = _round(actor, round_id, now, window_days)
    row = _row(actor, rnd)
    done = dict(row.goal_outcomes) if row else {}
    return SurveyView(rnd.id, name, rnd.number, row.helped if row else None,
                      row.join_again if row else None, row.suggestion if row else "",
                      [SurveyGoal(g.id, g.number, g.text, done.get(str(g.number)))
                       for g in _goals(actor, row)])


def answer(actor: Actor, round_id: int, now: dt.datetime, window_days: int, *,
           helped: int | None = None, join_again: bool | None = None,
           suggestion: str | None = None, outcomes: dict[int, str] | None = None
           ) -> SurveyAnswered:
    """Record what is given and not yet answered (the first answer to each question stays).
    ``outcomes`` maps goal ids to met|progressed|not_yet; a goal marked met is done."""
    if helped is not None and not 1 <= helped <= 5:
        raise DomainError("pulse_range")
    if outcomes and any(o not in OUTCOMES for o in outcomes.values()):
        raise DomainError("survey_bad_outcome")
    rnd, name = _round(actor, round_id, now, window_days)
    s, m = actor.session, actor.member
    row = _row(actor, rnd)
    if row is None:
        fresh = SurveyResponse(workspace_id=m.workspace_id, round_id=rnd.id, member_id=m.id,
                               goal_outcomes={}, suggestion="")
        row, _ = insert_once(s, fresh, lambda: _row(actor, rnd))
        if row is None:
            raise DomainError("busy_try_again")
    changed = False
    if helped is not None and row.helped is None:
        row.helped, changed = helped, True
    if join_again is not None and row.join_again is None:
        row.join_again, changed = join_again, True
    if suggestion and not row.suggestion:
        row.suggestion, changed = suggestion, True
    if outcomes:
        marked = dict(row.goal_outcomes or {})
        for g in _goals(actor, row, list(outcomes)):
            key = str(g.number)
            if key in marked:
                continue
            marked[key] = outcomes[g.id]
            if outcomes[g.id] == "met":
                g.done = True
            changed = True
        row.goal_outcomes = marked
    return SurveyAnswered(rnd.id, name, rnd.number, changed, row.helped is not None,
                          row.join_again is not None)


# ------------------------------------------------------------------- results


@dataclass(frozen=True)
class SurveyResult:
    """One round's evaluation. Below the threshold (``shown`` False) only the number of
    respondents is given: every aggregate and every suggestion is withheld."""

    program_id: int
    program_name: str
    round_id: int
    round_number: int
    invited: int
    respondents: int
    shown: bool
    helped_avg: float | None = None
    join_again_rate: float | None = None
    outcomes: dict[str, int] = field(default_factory=dict)  # met/progressed/not_yet -> count
    suggestions: list[str] = field(default_factory=list)  # sorted, never attributed


def survey_results(session: Session, workspace_id: int, program_id: int | None = None,
                   min_respondents: int | None = None) -> list[SurveyResult]:
    """Every ended or active round's survey results, by program then round number: the row
    producer for `/circle health rounds` and the evaluation export."""
    n = min_group(min_respondents)
    q = (select(Round, Program.name).join(Program, Program.id == Round.program_id)
         .where(Round.workspace_id == workspace_id, Round.status != "draft"))
    if program_id is not None:
        q = q.where(Round.program_id == program_id)
    rounds = session.execute(q.order_by(Round.program_id, Round.number)).all()
    if not rounds:
        return []
    ids = [r.id for r, _ in rounds]
    answers: dict[int, list[SurveyResponse]] = {}
    for row in session.scalars(select(SurveyResponse).where(
            SurveyResponse.workspace_id == workspace_id, SurveyResponse.round_id.in_(ids))):
        answers.setdefault(row.round_id, []).append(row)
    invited: dict[int, int] = {}
    for rid, _mid in session.execute(
            select(Circle.round_id, Membership.member_id).join(Circle, Circle.id == Membership.circle_id)
            .where(Circle.workspace_id == workspace_id, Circle.round_id.in_(ids),
                   Membership.active.is_(True)).distinct()):
        invited[rid] = invited.get(rid, 0) + 1
    out = []
    for rnd, pname in rounds:
        rows = answers.get(rnd.id, [])
        base = dict(program_id=rnd.program_id, program_name=pname, round_id=rnd.id,
                    round_number=rnd.number, invited=invited.get(rnd.id, 0),
                    respondents=len(rows))
        if len(rows) < n:
            out.append(SurveyResult(**base, shown=False))  # type: ignore[arg-type]
            continue
        helped = [r.helped for r in rows if r.helped is not None]
        joins = [r.join_again for r in rows if r.join_again is not None]
        counts = dict.fromkeys(OUTCOMES, 0)
        for r in rows:
            for o in (r.goal_outcomes or {}).values():
                if o in counts:
                    counts[o] += 1
        out.append(SurveyResult(
            **base, shown=True,  # type: ignore[arg-type]
            helped_avg=sum(helped) / len(helped) if helped else None,
            join_again_rate=sum(1 for j in joins if j) / len(joins) if joins else None,
            outcomes=counts, suggestions=sorted(r.suggestion for r in rows if r.suggestion)))
    return out
