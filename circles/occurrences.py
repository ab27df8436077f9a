"""Occurrence markers: how the scheduler makes each scheduled step happen exactly once.

A ``job_runs`` row (unique per workspace and key) is inserted in the same transaction as the
work it stands for. A second scheduler inserting the same key fails before doing anything
and rolls back; set-based steps claim a whole chunk of keys with one batched INSERT and, on
a collision, redo that chunk one occurrence at a time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from circles.bulk import insert_rows
from circles.db import unit_of_work
from circles.model import JobRun

UTC = dt.UTC


def claim(session: Session, workspace_id: int, key: str, status: str = "done", note: str = "",
          now: dt.datetime | None = None) -> None:
    """Insert the occurrence marker first: a concurrent scheduler fails here, before doing
    anything, and its transaction rolls back."""
    session.add(JobRun(workspace_id=workspace_id, key=key, status=status, note=note,
                       ran_at=now or dt.datetime.now(UTC)))
    session.flush()


def once(sessions: sessionmaker[Session], work: Callable[[Session], object],
         now: dt.datetime | None = None) -> bool:
    """Run ``work`` in its own transaction (acting at ``now``, the scheduler's clock);
    False if an occurrence it claims was taken."""
    try:
        with unit_of_work(sessions, now=now) as session:
            work(session)
        return True
    except IntegrityError:
        return False  # another scheduler did it first


CHUNK = 2000  # circles per transaction: bounded lock time and IN lists, few round trips


def done_keys(session: Session, workspace_id: int, keys: list[str]) -> set[str]:
    """Which occurrence keys are already claimed (a query per chunk, not the round's history)."""
    found: set[str] = set()
    for i in range(0, len(keys), CHUNK):
        found.update(session.scalars(select(JobRun.key).where(
            JobRun.workspace_id == workspace_id, JobRun.key.in_(keys[i : i + CHUNK]))))
    return found


def claim_many(session: Session, workspace_id: int, keys: list[str], now: dt.datetime) -> None:
    """`claim` for many occurrences as one batched INSERT; a key claimed meanwhile by another
    scheduler fails the whole statement, and the caller redoes its chunk one by one."""
    if keys:
        insert_rows(session, JobRun, [dict(workspace_id=workspace_id, key=k, status="done", note="", ran_at=now)
                                      for k in keys])


def set_based(sessions: sessionmaker[Session], keyed: list[tuple[str, int]], workspace_id: int,
              now: dt.datetime, step: Callable[[Session, list[int]], object],
              one: Callable[[Session, int], object]) -> int:
    """Run one step for many (occurrence key, circle id) pairs, a chunk per transaction:
    claim the keys and do ``step(session, circle_ids)`` together. If a chunk collides with
    another scheduler, redo it circle by circle with ``one(session, circle_id)`` so exactly the
    occurrences nobody did yet are done. Returns the occurrences done here."""
    done = 0
    for i in range(0, len(keyed), CHUNK):
        chunk = keyed[i : i + CHUNK]

        def all_of(s: Session, chunk: list[tuple[str, int]] = chunk) -> None:
            claim_many(s, workspace_id, [key for key, _ in chunk], now)
            step(s, [cid for _, cid in chunk])

        if once(sessions, all_of, now):
            done += len(chunk)
            continue
        for key, cid in chunk:

            def single(s: Session, key: str = key, cid: int = cid) -> None:
                claim(s, workspace_id, key, now=now)
                one(s, cid)

            done += once(sessions, single, now)
    return done


