"""Exactly one effect when the same thing arrives twice.

Two mechanisms, both enforced by the database's unique keys so they hold across threads
and replicas (a check-then-insert in Python alone would not):

- :func:`first_time` claims a request's fingerprint in ``processed_requests``; only the
  first claim wins, so a replayed request or a retried event is executed once.
- :func:`insert_once` inserts a row under a savepoint; if a racing transaction inserted
  the same key first, it returns that row instead, so "already done" becomes the normal
  outcome rather than an error.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from circles.model import ProcessedRequest, utcnow

T = TypeVar("T")

KEEP = dt.timedelta(minutes=15)  # longer than any platform's replay window (300 s at most)


SWEEP_EVERY = dt.timedelta(minutes=1)
_swept: dt.datetime | None = None  # when this process last forgot old claims


def first_time(session: Session, scope: str, fingerprint: str,
               now: dt.datetime | None = None) -> bool:
    """True for the first claim of ``(scope, fingerprint)``; False for every later one.
    Commits on its own (the claim must be visible to other replicas before the work),
    and forgets claims older than :data:`KEEP` so the table stays small."""
    now = now or utcnow()
    global _swept
    if _swept is None or not dt.timedelta(0) <= now - _swept < SWEEP_EVERY:
        # forgetting old claims is housekeeping: once a minute per process, not per request
        # (concurrent DELETEs of the same rows on every request wait on each other)
        session.execute(delete(ProcessedRequest).where(ProcessedRequest.created_at < now - KEEP))
        _swept = now
    session.add(ProcessedRequest(scope=scope[:100], fingerprint=fingerprint[:100],
                                 created_at=now))
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return False
    return True


def insert_once(session: Session, row: T, existing: Callable[[], T | None]
                ) -> tuple[T | None, bool]:
    """Adds ``row``; when its unique key is already taken (a double click, a racing
    request), returns ``(existing(), False)`` instead of failing the whole unit of work
    (only the savepoint is rolled back). ``existing()`` may find nothing when what took
    the key is not the same thing (e.g. another goal took the number): the caller retries."""
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return existing(), False
    return row, True
