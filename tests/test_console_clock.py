"""The weekly rhythm in a terminal: `/clock` lets a week pass in the console, so a person
sees the prompt, the nudge, the check-in with its pulse buttons, the digest and week 2
without Slack or Discord tokens."""

from __future__ import annotations

import datetime as dt
import io
import tempfile

import pytest
from sqlalchemy.orm import Session, sessionmaker

from adapters.console.adapter import ConsoleSession, plain
from adapters.console.clock import parse_target, steps
from bot.bootstrap import App, wire_console
from bot.config import Config
from bot.core import CircleBot
from bot.delivery import DeliveryWorker
from bot.ports import ChatGateway
from tests.builders import Clock

# A Monday well after any wall-clock default the database writes, so nothing real-time is
# ever "not yet due" on the console's clock.
MONDAY = dt.datetime(2030, 1, 7, 9, 0, tzinfo=dt.UTC)


class Console:
    """A console wired as `circlebot run` wires it, typing lines one by one."""

    def __init__(self, db: sessionmaker[Session]) -> None:
        config = Config()
        # what the console saves (charts in digests, exports) goes to a throwaway folder
        config.evaluation.files_dir = tempfile.mkdtemp(prefix="circlebot-files-")
        self.out = io.StringIO()
        self.feed: list[str] = []
        app = App(config, db.kw["bind"], db, CircleBot(db, config, clock=Clock(MONDAY)))
        gateways: dict[str, ChatGateway] = {}
        start = wire_console(app, gateways, DeliveryWorker(db, gateways, config.scheduling),
                             self.out, self.ask)
        self.bot = app.bot
        self.session = ConsoleSession(app.bot, self.out, self.ask, **start.keywords)

    def ask(self, prompt: str) -> str:
        if not self.feed:
            raise EOFError
        line = self.feed.pop(0)
        self.out.write(f"{prompt}{line}\n")
        return line

    async def type(self, *lines: str) -> str:
        """Type the lines (the rest answer any form a line opens); returns what was printed."""
        start = len(self.out.getvalue())
        self.feed = list(lines[1:])
        await self.session.handle_line(lines[0])
        while self.feed:
            line = self.feed.pop(0)
            self.out.write(f"> {line}\n")
            await self.session.handle_line(line)
        return self.out.getvalue()[start:]


@pytest.fixture
def console(db: sessionmaker[Session]) -> Console:
    return Console(db)


async def start_a_circle(console: Console) -> None:
    await console.type('/circle program create "Local" size=3')
    for name in ("ana", "ben", "cy"):
        await console.type(f"/as {name}", "/circle join peer", "/cancel")
    await console.type("/as you", "/circle round preview", "/circle round publish")


async def test_a_week_passes_with_prompt_nudge_checkin_pulse_and_digest(console: Console) -> None:
    await start_a_circle(console)
    assert "Welcome to Local · circle 1: ana, ben, cy." in console.out.getvalue()
    week = await console.type("/clock +1w")
    assert week.index("== Week 1 prompt ==") < week.index("Your circle is waiting for you")
    assert week.index("Your circle is waiting for you") < week.index("== Week 1 check-in ==")
    assert "[8] 5" in week  # the pulse buttons, numbered
    assert "Weekly circles digest" in week
    assert "It is now Mon 14 Jan 2030, 09:00 UTC." in week
    pressed = await console.type("/as ana", "4")  # the pulse "1" under the check-in ana saw
    assert "you rated week 1 1/5" in pressed
    assert "[1] Add a comment" in pressed
    assert "Thanks for the comment." in await console.type("1", "Good talk")
    assert "Noted: you met (week 1)." in await console.type("/circle checkin yes")
    week2 = await console.type("/clock 2030-01-14 10:00")
    assert "== Week 2 prompt ==" in week2 and "1 prompt posted" in week2


async def test_answering_in_the_console_by_button_or_by_thread_reply(console: Console) -> None:
    await start_a_circle(console)
    await console.type("/clock +2h")
    out = await console.type("/as ana", "1", "I want to give a talk")
    assert "Thanks, your answer is recorded." in out
    out = await console.type("/as ben", "/reply Learning Rust")
    assert "Thanks, your answer is recorded." in out
    out = await console.type("/as cy", "/circle answers")
    assert "Learning Rust" in out and "I want to give a talk" in out
    assert "**" not in out  # bold names are shown without their markers


async def test_the_clock_explains_what_it_reads_and_never_goes_back(console: Console) -> None:
    assert "It is Mon 07 Jan 2030, 09:00 UTC." in await console.type("/clock")
    assert "I can't read 'soon' as a time." in await console.type("/clock soon")
    assert "only moves forward" in await console.type("/clock 2020-01-01")


async def test_a_reply_before_any_circle_post_says_how_to_answer(console: Console) -> None:
    out = await console.type("/as ana", "/reply hello")
    assert "no thread to reply in" in out and "/circle answer" in out


async def test_a_command_typed_mid_form_is_run_not_swallowed(console: Console) -> None:
    await console.type('/circle program create "Local"')
    out = await console.type("/as ana", "/circle join peer", "/circle profile")
    assert "Your circle profile: not saved." in out
    assert "== Your profile ==" in out.split("not saved.")[1]


async def test_console_ask_is_not_as_and_circles_gets_a_suggestion(console: Console) -> None:
    out = await console.type("/ask maya")
    assert "You are now" not in out and "I only know /circle commands" in out
    assert "Did you mean /circle?" in await console.type("/circles help")


def test_clock_targets_and_steps_on_the_hour() -> None:
    now = dt.datetime(2030, 1, 7, 9, 17, tzinfo=dt.UTC)
    assert parse_target("+1w", now) == now + dt.timedelta(weeks=1)
    assert parse_target("+1d12h", now) == now + dt.timedelta(days=1, hours=12)
    assert parse_target("2030-01-08 10:00", now) == dt.datetime(2030, 1, 8, 10, 0, tzinfo=dt.UTC)
    assert parse_target("+1x", now) is None
    assert steps(now, now + dt.timedelta(hours=2))[:2] == [
        dt.datetime(2030, 1, 7, 10, 0, tzinfo=dt.UTC), dt.datetime(2030, 1, 7, 11, 0, tzinfo=dt.UTC)]


def test_the_console_shows_bold_and_italics_without_their_markers() -> None:
    assert plain("Welcome to **Circle 1**, _really_ member_local") == "Welcome to Circle 1, really member_local"
