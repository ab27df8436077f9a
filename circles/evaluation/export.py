"""The program-evaluation export: a list of tables, each a file name, its columns and a query.

``TABLES`` is the whole export, in order. Each table is an ``ExportTable`` whose ``rows``
streams its rows from the database in batches (``yield_per``), so a workspace with a million
answers is written without holding it in memory, and whose ``count`` tells a progress bar how
many to expect. Another producer (for example the closing survey's) is one more entry
appended to ``TABLES``.

Privacy: the same rules as health. Participation may name people; pulse never does: only
per-circle weekly aggregates, shown when at least N members answered
(``privacy_threshold``), and comments only from such weeks, unattributed and in text order.
Goals are counted and dated, their text is the member's own and stays out. Every query is
scoped by workspace and by the programs chosen.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, case, false, func, select
from sqlalchemy.orm import Session

from circles.evaluation.privacy_threshold import min_respondents, shown
from circles.model import (
    CheckIn,
    Circle,
    Goal,
    Member,
    Membership,
    Profile,
    Program,
    ProgramMember,
    PromptPost,
    Pulse,
    Response,
    Round,
)

BATCH = 5000


@dataclass(frozen=True)
class ExportScope:
    """What one export covers: a workspace, some of its programs, the pulse threshold."""

    workspace_id: int
    program_ids: tuple[int, ...]
    min_respondents: int = min_respondents()


Shape = Callable[[Sequence[Any], ExportScope], Sequence[Any] | None]


@dataclass(frozen=True)
class ExportTable:
    """One CSV file: ``query`` builds the statement for a scope; ``shape`` (optional) turns
    a database row into the written row, or None to leave it out."""

    filename: str
    header: tuple[str, ...]
    query: Callable[[ExportScope], Select[Any]]
    shape: Shape | None = None

    def batches(self, session: Session, scope: ExportScope) -> Iterator[Sequence[Sequence[Any]]]:
        """The rows in batches of ``BATCH``, streamed from a server-side cursor. Values are
        ready for ``csv`` as they come (flags are 1/0 in SQL, None is written empty), so only
        tables with a ``shape`` touch each row in Python."""
        # the Core connection, not the ORM: these are plain rows, a third cheaper to fetch
        result = session.connection().execution_options(yield_per=BATCH).execute(self.query(scope))
        for part in result.partitions(BATCH):
            if self.shape is None:
                yield part
            else:
                yield [shaped for row in part if (shaped := self.shape(row, scope)) is not None]

    def rows(self, session: Session, scope: ExportScope) -> Iterator[Sequence[Any]]:
        for part in self.batches(session, scope):
            yield from part

    def count(self, session: Session, scope: ExportScope) -> int:
        """Rows the query will produce (an upper bound when ``shape`` drops some)."""
        unordered = self.query(scope).order_by(None)  # counting needs no sort
        return int(session.scalar(select(func.count()).select_from(unordered.subquery())) or 0)


def _flag(expr: Any) -> Any:
    """A boolean column as 1/0, the same on every database."""
    return case((expr, 1), else_=0)


# ----------------------------------------------------------------- shared joins


def _programs(scope: ExportScope) -> Any:
    return and_(Program.workspace_id == scope.workspace_id, Program.id.in_(scope.program_ids))


def _rounds(stmt: Select[Any], scope: ExportScope) -> Select[Any]:
    """Published rounds (active or ended) of the chosen programs."""
    return (stmt.join(Program, and_(Program.id == Round.program_id, _programs(scope)))
            .where(Round.workspace_id == scope.workspace_id, Round.status != "draft"))


def _circles(stmt: Select[Any], scope: ExportScope) -> Select[Any]:
    return _rounds(stmt.join(Round, and_(Round.id == Circle.round_id,
                                         Round.workspace_id == scope.workspace_id)), scope) \
        .where(Circle.workspace_id == scope.workspace_id)


def _enrolled(scope: ExportScope) -> Select[Any]:
    """Members enrolled in (or ever placed in a circle of) the chosen programs."""
    ws = scope.workspace_id
    enrolled = select(ProgramMember.member_id).where(
        ProgramMember.workspace_id == ws, ProgramMember.program_id.in_(scope.program_ids))
    placed = _circles(select(Membership.member_id).join(Circle, Circle.id == Membership.circle_id), scope) \
        .where(Membership.workspace_id == ws)
    return enrolled.union(placed)


# ----------------------------------------------------------------- the tables


def _members(scope: ExportScope) -> Select[Any]:
    return (select(Member.id, Member.display_name, Profile.department, Profile.experience,
                   _flag(Member.enrolled), Member.paused_until, func.date(Member.created_at))
            .outerjoin(Profile, and_(Profile.member_id == Member.id, Profile.workspace_id == scope.workspace_id))
            .where(Member.workspace_id == scope.workspace_id, Member.id.in_(_enrolled(scope)))
            .order_by(Member.id))


def _enrolments(scope: ExportScope) -> Select[Any]:
    return (select(Program.name, ProgramMember.member_id, ProgramMember.role,
                   ProgramMember.mentor_capacity, func.date(ProgramMember.joined_at))
            .join(Program, and_(Program.id == ProgramMember.program_id, _programs(scope)))
            .where(ProgramMember.workspace_id == scope.workspace_id)
            .order_by(Program.name, ProgramMember.member_id))


def _round_rows(scope: ExportScope) -> Select[Any]:
    circles = (select(Circle.round_id, func.count().label("n")).where(Circle.workspace_id == scope.workspace_id)
               .group_by(Circle.round_id).subquery())
    return _rounds(select(Program.name, Round.number, Round.status, Round.starts_on, Round.ends_on,
                          func.coalesce(circles.c.n, 0), Round.waitlist)
                   .select_from(Round).outerjoin(circles, circles.c.round_id == Round.id), scope) \
        .order_by(Program.name, Round.number)


def _waitlisted(row: Sequence[Any], scope: ExportScope) -> Sequence[Any]:
    return (*row[:-1], len(row[-1] or {}))


def _circle_rows(scope: ExportScope) -> Select[Any]:
    ws = scope.workspace_id
    members = (select(Membership.circle_id, func.count().label("n"))
               .where(Membership.workspace_id == ws, Membership.active.is_(True))
               .group_by(Membership.circle_id).subquery())
    return _circles(select(Program.name, Round.number, Circle.number, Circle.name, Circle.kind,
                           func.coalesce(members.c.n, 0), Circle.score, _flag(Circle.archived))
                    .select_from(Circle).outerjoin(members, members.c.circle_id == Circle.id), scope) \
        .order_by(Program.name, Round.number, Circle.number)


def _participation(scope: ExportScope) -> Select[Any]:
    """Per member per week: answered the prompt, and what they said at check-in."""
    ws = scope.workspace_id
    stmt = (select(Program.name, Round.number, Circle.number, Membership.member_id, Member.display_name,
                   Membership.role, _flag(Membership.active), PromptPost.cycle, _flag(Response.id.is_not(None)),
                   CheckIn.status)
            .select_from(Membership)
            .join(Circle, Circle.id == Membership.circle_id)
            .join(Member, and_(Member.id == Membership.member_id, Member.workspace_id == ws))
            .join(PromptPost, and_(PromptPost.circle_id == Circle.id, PromptPost.workspace_id == ws))
            .outerjoin(Response, and_(Response.prompt_post_id == PromptPost.id,
                                      Response.member_id == Membership.member_id, Response.workspace_id == ws))
            .outerjoin(CheckIn, and_(CheckIn.circle_id == Circle.id, CheckIn.cycle == PromptPost.cycle,
                                     CheckIn.member_id == Membership.member_id, CheckIn.workspace_id == ws))
            .where(Membership.workspace_id == ws))
    return _circles(stmt, scope)  # unsorted: sorting a million rows costs more than writing them


def _checkins(scope: ExportScope) -> Select[Any]:
    stmt = (select(Program.name, Round.number, Circle.number, CheckIn.cycle, CheckIn.member_id,
                   CheckIn.status, CheckIn.created_at)
            .select_from(CheckIn).join(Circle, Circle.id == CheckIn.circle_id)
            .where(CheckIn.workspace_id == scope.workspace_id))
    return _circles(stmt, scope)  # unsorted, like participation


def _pulse(scope: ExportScope) -> Select[Any]:
    stmt = (select(Program.name, Round.number, Circle.number, Pulse.cycle, func.count(), func.avg(Pulse.rating))
            .select_from(Pulse).join(Circle, Circle.id == Pulse.circle_id)
            .where(Pulse.workspace_id == scope.workspace_id)
            .group_by(Program.name, Round.number, Circle.number, Pulse.cycle))
    return _circles(stmt, scope).order_by(Program.name, Round.number, Circle.number, Pulse.cycle)


def _pulse_shown(row: Sequence[Any], scope: ExportScope) -> Sequence[Any]:
    *where, respondents, avg = row
    ok = shown(int(respondents), scope.min_respondents)
    return (*where, respondents, round(float(avg), 2) if ok else None, int(ok))


def _pulse_comments(scope: ExportScope) -> Select[Any]:
    ws = scope.workspace_id
    enough = (select(Pulse.circle_id, Pulse.cycle).where(Pulse.workspace_id == ws)
              .group_by(Pulse.circle_id, Pulse.cycle)
              .having(func.count() >= min_respondents(scope.min_respondents)).subquery())
    stmt = (select(Program.name, Round.number, Circle.number, Pulse.cycle, Pulse.comment)
            .select_from(Pulse).join(Circle, Circle.id == Pulse.circle_id)
            .join(enough, and_(enough.c.circle_id == Pulse.circle_id, enough.c.cycle == Pulse.cycle))
            .where(Pulse.workspace_id == ws, Pulse.comment != ""))
    return _circles(stmt, scope).order_by(Program.name, Round.number, Circle.number, Pulse.cycle,
                                          Pulse.comment)


def _goals(scope: ExportScope) -> Select[Any]:
    return (select(Goal.member_id, Goal.number, func.date(Goal.created_at), Goal.due_on, _flag(Goal.done),
                   Goal.notes)
            .where(Goal.workspace_id == scope.workspace_id, Goal.member_id.in_(_enrolled(scope)))
            .order_by(Goal.member_id, Goal.number))


def _notes_counted(row: Sequence[Any], scope: ExportScope) -> Sequence[Any]:
    return (*row[:-1], len(row[-1] or []))


TABLES: list[ExportTable] = [
    ExportTable("members.csv", ("member_id", "display_name", "department", "experience",
                                "enrolled", "paused_until", "first_seen_on"), _members),
    ExportTable("enrolments.csv", ("program", "member_id", "role", "mentor_capacity", "joined_on"),
                _enrolments),
    ExportTable("rounds.csv", ("program", "round", "status", "starts_on", "ends_on", "circles",
                               "waitlisted"), _round_rows, _waitlisted),
    ExportTable("circles.csv", ("program", "round", "circle", "name", "kind", "active_members",
                                "match_score", "archived"), _circle_rows),
    ExportTable("participation.csv", ("program", "round", "circle", "member_id", "display_name", "role",
                                      "still_in_circle", "week", "answered_prompt", "checkin"),
                _participation),
    ExportTable("checkins.csv", ("program", "round", "circle", "week", "member_id", "status", "at"),
                _checkins),
    ExportTable("pulse_weekly.csv", ("program", "round", "circle", "week", "respondents", "pulse_avg",
                                     "shown"), _pulse, _pulse_shown),
    ExportTable("pulse_comments.csv", ("program", "round", "circle", "week", "comment"), _pulse_comments),
    ExportTable("goals.csv", ("member_id", "goal", "set_on", "due_on", "done", "notes"), _goals,
                _notes_counted),
]


# ----------------------------------------------------------------- the closing survey


def _survey_results(session: Session, scope: ExportScope) -> list[Any]:
    from circles.survey import survey_results  # the survey's own aggregation and threshold

    return [r for pid in scope.program_ids
            for r in survey_results(session, scope.workspace_id, pid, scope.min_respondents)]


def _rate(x: float | None) -> float | None:
    return None if x is None else round(x, 3)


@dataclass(frozen=True)
class SurveyTable(ExportTable):
    """The closing survey per round, from ``circles.survey`` (a few rows per program, so
    they are built in Python): figures only where at least N members answered, suggestions
    never attributed and only from such rounds."""

    suggestions: bool = False

    def batches(self, session: Session, scope: ExportScope) -> Iterator[Sequence[Sequence[Any]]]:
        rows: list[Sequence[Any]] = []
        for r in _survey_results(session, scope):
            if self.suggestions:
                rows += [(r.program_name, r.round_number, s) for s in (r.suggestions if r.shown else [])]
                continue
            o = r.outcomes if r.shown else {}
            rows.append((r.program_name, r.round_number, r.invited, r.respondents, int(r.shown),
                         _rate(r.helped_avg) if r.shown else None,
                         _rate(r.join_again_rate) if r.shown else None,
                         *((o.get(k, 0) if r.shown else None) for k in ("met", "progressed", "not_yet"))))
        yield rows

    def count(self, session: Session, scope: ExportScope) -> int:
        return sum(len(b) for b in self.batches(session, scope))


def _no_rows(scope: ExportScope) -> Select[Any]:
    return select(Program.id).where(false())


TABLES += [
    SurveyTable("survey.csv", ("program", "round", "invited", "respondents", "shown", "helped_avg",
                               "join_again_rate", "goals_met", "goals_progressed", "goals_not_yet"),
                _no_rows),
    SurveyTable("survey_suggestions.csv", ("program", "round", "suggestion"), _no_rows,
                suggestions=True),
]
