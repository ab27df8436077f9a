"""What people do is stamped with the bot's clock, not the machine's: after the console's
`/clock` jumps two weeks, a circle nobody touched is quiet in health, and one whose members
answer after the jump is not. Every timestamp a session writes is on the bot's clock."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, select
from sqlalchemy.orm import Session, sessionmaker

from circles.model import (
    Base,
    CheckIn,
    Goal,
    OutboxMessage,
    PendingAction,
    ProgramMember,
    Pulse,
    Response,
)
from tests.test_console_clock import MONDAY, Console, start_a_circle

QUIET = "no activity for 14+ days"


async def test_a_circle_nobody_touched_for_two_weeks_is_quiet(db: sessionmaker[Session]) -> None:
    console = Console(db)
    await start_a_circle(console)
    await console.type("/clock +2w", "/clock +1d")
    assert QUIET in await console.type("/as you", "/circle health")


async def test_answers_made_after_the_jump_count_as_activity(db: sessionmaker[Session]) -> None:
    console = Console(db)
    await start_a_circle(console)
    await console.type("/clock +2w", "/clock +1d")
    await console.type("/as ana", '/circle answer "Back from holiday"', "/circle checkin yes",
                       "/circle pulse 4")
    health = await console.type("/as you", "/circle health")
    assert QUIET not in health
    assert "last activity 2030-01-22" in health  # the console's day, not the machine's


async def test_every_timestamp_a_session_writes_is_on_the_bots_clock(db: sessionmaker[Session]) -> None:
    """The console's clock starts in 2030: a row stamped by the machine's clock (or the
    database's) would be years earlier."""
    console = Console(db)
    await start_a_circle(console)
    await console.type("/clock +1w")
    await console.type("/as ana", '/circle answer "Shipped it"', "/circle checkin yes",
                       "/circle pulse 5", '/circle goal set "Give a talk"',
                       '/circle goal note 1 "Outline done"', "/circle pause until 2030-02-01",
                       "/circle resume")
    await console.type("/as cy", "/circle leave")  # asked to confirm, not confirmed yet
    await console.type("/as you", "/circle health", "/circle round end", "1")
    with db() as session:
        for model in (Response, CheckIn, Pulse, Goal, ProgramMember, OutboxMessage, PendingAction):
            assert session.scalar(select(model.id).limit(1)) is not None, model.__name__
        for table in Base.metadata.sorted_tables:
            for column in table.columns:
                if not isinstance(column.type, DateTime) and \
                        not isinstance(getattr(column.type, "impl", None), DateTime):
                    continue
                earliest = session.scalar(select(column).where(column.is_not(None))
                                          .order_by(column).limit(1))
                if earliest is None:
                    continue
                earliest = earliest if earliest.tzinfo else earliest.replace(tzinfo=dt.UTC)
                assert earliest >= MONDAY - dt.timedelta(minutes=1), f"{table.name}.{column.name}"
