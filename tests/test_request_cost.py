"""What a member's everyday commands cost does not depend on how big the workspace is.

A member asking for their status, answering the prompt, giving a pulse or listing goals must
read their own circle, not the round: the same commands in a workspace of 5 circles and of 50
circles issue exactly the same (small) number of SQL statements. Late placement and rematch
read only the circles with room.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Config
from bot.core import CircleBot
from circles.db import unit_of_work
from tests.builders import Clock, person, post_week, seed_world

EVERYDAY = ["status", "answer I shipped the parser this week", "pulse 4", "goal list"]
# Generous but constant: a member's command is a handful of lookups, never a scan per circle.
MOST_STATEMENTS = 30


@contextmanager
def counting(engine: Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def costs_in_world(engine: Engine, circles: int) -> dict[str, int]:
    """Statements per everyday command, for a member of circle 1 in a world of ``circles``."""
    sessions: sessionmaker[Session] = sessionmaker(engine, expire_on_commit=False)
    with unit_of_work(sessions) as session:
        world = seed_world(session, circles=circles, size=4, workspace=f"T{circles}")
    bot = CircleBot(sessions, Config(), clock=Clock())
    post_week(bot)
    me = person("U000010", workspace=f"T{circles}", platform="slack", name="M0-0")
    assert world.circle_ids
    costs = {}
    for text in EVERYDAY:
        with counting(engine) as statements:
            reply = bot.handle_command_sync(me, text)
        assert reply.tone != "error", f"/circle {text}: {reply.text}"
        costs[text] = len(statements)
    return costs


def test_everyday_commands_cost_the_same_in_a_small_and_a_ten_times_bigger_workspace(
        engine: Engine) -> None:
    small = costs_in_world(engine, 5)
    big = costs_in_world(engine, 50)
    assert big == small
    assert all(n <= MOST_STATEMENTS for n in big.values()), big


def test_status_names_only_my_circle_mates_however_many_circles_there_are(
        engine: Engine) -> None:
    sessions: sessionmaker[Session] = sessionmaker(engine, expire_on_commit=False)
    with unit_of_work(sessions) as session:
        seed_world(session, circles=50, size=4, workspace="T1")
    bot = CircleBot(sessions, Config(), clock=Clock())
    reply = bot.handle_command_sync(person("U000010", workspace="T1", platform="slack"), "status")
    shown = " ".join(s.text for s in reply.sections)
    assert "Circle 1** with M0-1, M0-2, M0-3" in shown
    assert "M1-0" not in shown
