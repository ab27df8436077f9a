"""Counters kept with the writes they count, so health never aggregates millions of rows.

Each answer, check-in and pulse updates its circle's ``circle_weeks`` row (and an answer its
membership's ``last_answer_cycle``) in the same transaction, under the row's lock, so two
members answering at once both count. A second press that changes an earlier record
adjusts the tallies by the difference; it never counts twice. :func:`recount` computes the
same numbers from the raw rows; the specs hold the two equal, and :func:`rebuild` restores
them from a recount (the migration's backfill, and seeded benchmark data).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select, text, update
from sqlalchemy.orm import Session

from circles.model import CircleWeek, Membership
from circles.once import insert_once

Tally = tuple[int, int, int, int, int]  # answers, checkins, met, pulses, pulse_sum


def _aware(t: dt.datetime | None) -> dt.datetime | None:
    return t.replace(tzinfo=dt.UTC) if t is not None and t.tzinfo is None else t


def _week(session: Session, workspace_id: int, circle_id: int, cycle: int) -> CircleWeek:
    """The circle's row for ``cycle``, locked for this transaction (created on first use)."""
    q = (select(CircleWeek).where(CircleWeek.workspace_id == workspace_id, CircleWeek.circle_id == circle_id,
                                  CircleWeek.cycle == cycle)
         .with_for_update().execution_options(populate_existing=True))
    row = session.scalar(q)
    if row is None:
        fresh = CircleWeek(workspace_id=workspace_id, circle_id=circle_id, cycle=cycle, answers=0,
                           checkins=0, met=0, pulses=0, pulse_sum=0)
        got, _ = insert_once(session, fresh, lambda: session.scalar(q))
        assert got is not None
        row = got
    return row


def _touch(row: CircleWeek, at: dt.datetime | None) -> None:
    at = _aware(at)
    if at is not None and (row.last_activity_at is None or _aware(row.last_activity_at) < at):  # type: ignore[operator]
        row.last_activity_at = at


def answered(session: Session, workspace_id: int, circle_id: int, cycle: int, member_id: int,
             at: dt.datetime | None) -> None:
    """A new answer to the circle's prompt of ``cycle`` (not called for an edited one)."""
    row = _week(session, workspace_id, circle_id, cycle)
    row.answers += 1
    _touch(row, at)
    session.execute(update(Membership).where(
        Membership.workspace_id == workspace_id, Membership.circle_id == circle_id,
        Membership.member_id == member_id,
        (Membership.last_answer_cycle.is_(None)) | (Membership.last_answer_cycle < cycle),
    ).values(last_answer_cycle=cycle))


def checked_in(session: Session, workspace_id: int, circle_id: int, cycle: int, old: str | None,
               new: str, at: dt.datetime | None) -> None:
    """A check-in ``new``; ``old`` is the status it replaced (None for a first one)."""
    row = _week(session, workspace_id, circle_id, cycle)
    if old is None:
        row.checkins += 1
        _touch(row, at)
    row.met += (new == "met") - (old == "met")


def pulsed(session: Session, workspace_id: int, circle_id: int, cycle: int, old: int | None, new: int,
           at: dt.datetime | None) -> None:
    """A pulse ``new``; ``old`` the rating it replaced (None for a first one)."""
    row = _week(session, workspace_id, circle_id, cycle)
    if old is None:
        row.pulses += 1
        _touch(row, at)
    row.pulse_sum += new - (old or 0)


RECOUNT = """
SELECT workspace_id, circle_id, cycle, SUM(answers), SUM(checkins), SUM(met), SUM(pulses), SUM(pulse_sum),
       MAX(at)
FROM (
  SELECT pp.workspace_id, pp.circle_id, pp.cycle, COUNT(*) AS answers, 0 AS checkins, 0 AS met,
         0 AS pulses, 0 AS pulse_sum, MAX(r.created_at) AS at
  FROM responses r JOIN prompt_posts pp ON pp.id = r.prompt_post_id
  GROUP BY pp.workspace_id, pp.circle_id, pp.cycle
  UNION ALL
  SELECT workspace_id, circle_id, cycle, 0, COUNT(*), SUM(CASE WHEN status = 'met' THEN 1 ELSE 0 END),
         0, 0, MAX(created_at)
  FROM checkins GROUP BY workspace_id, circle_id, cycle
  UNION ALL
  SELECT workspace_id, circle_id, cycle, 0, 0, 0, COUNT(*), SUM(rating), MAX(created_at)
  FROM pulses GROUP BY workspace_id, circle_id, cycle
) t
GROUP BY workspace_id, circle_id, cycle
"""

RECOUNT_MEMBERSHIPS = """
UPDATE memberships SET last_answer_cycle = (
  SELECT MAX(pp.cycle) FROM responses r JOIN prompt_posts pp ON pp.id = r.prompt_post_id
  WHERE pp.circle_id = memberships.circle_id AND r.member_id = memberships.member_id)
"""


def recount(session: Session) -> tuple[dict[tuple[int, int], Tally], dict[tuple[int, int], Tally]]:
    """(kept tallies, recounted tallies) by (circle id, cycle), rows with nothing left out."""
    kept = {(r.circle_id, r.cycle): (r.answers, r.checkins, r.met, r.pulses, r.pulse_sum)
            for r in session.scalars(select(CircleWeek))
            if (r.answers, r.checkins, r.pulses) != (0, 0, 0)}
    fresh = {(row[1], row[2]): tuple(int(v) for v in row[3:8])
             for row in session.execute(text(RECOUNT)).all()}
    return kept, fresh  # type: ignore[return-value]


def rebuild(session: Session) -> None:
    """Replace every tally by a recount (after rows were written around the writers, as a
    benchmark's set-based seed does)."""
    session.execute(delete(CircleWeek))
    session.execute(text("INSERT INTO circle_weeks (workspace_id, circle_id, cycle, answers, checkins, met, "
                         "pulses, pulse_sum, last_activity_at) " + RECOUNT))
    session.execute(text(RECOUNT_MEMBERSHIPS))
