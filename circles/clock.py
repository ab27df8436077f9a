"""The moment a unit of work acts at: the bot's clock, not the machine's.

Every timestamp a use case writes (an answer's, a check-in's, a pulse's, a goal's, an
enrolment's, an outbox row's) is "now" as the bot sees it. The bot's clock is usually real
time, but the console moves it (`/clock +2w`) and tests pin it; a row stamped with the
machine's time instead would make health call an active circle quiet, or an old one active.

The caller that knows the clock opens the unit of work with it
(``unit_of_work(sessions, now=clock())``); code deep inside a use case, which holds only the
session, reads it back with :func:`at`. Only a session opened without a clock (a migration, a
script) falls back to real time.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from circles.model import utcnow

KEY = "now"  # where the moment sits in ``Session.info``


def info(now: dt.datetime | None) -> dict[str, dt.datetime]:
    """The ``Session(info=...)`` that makes a session act at ``now``."""
    return {KEY: now} if now is not None else {}


def at(session: Session) -> dt.datetime:
    """The moment this session acts at: its caller's clock, else real time."""
    now = session.info.get(KEY)
    return now if now is not None else utcnow()
