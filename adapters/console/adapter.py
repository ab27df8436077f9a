"""A local chat in the terminal: try every feature with no tokens.

Behaves like a tiny chat platform: `/circle ...` commands, numbered "buttons" (type the
number to press one, also under what the bot posted to you), forms asked field by field, and
a ChatGateway that prints what would be posted into circle spaces and DMs. `/as NAME` switches
who you are, so one person can play a coordinator and several members; `/reply TEXT` replies
in the thread of the newest post in your circle; `/clock +1w` lets a week pass.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import itertools
import os
import re
import sys
import threading
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TextIO

from adapters.console.clock import USAGE as CLOCK_USAGE
from adapters.console.clock import ConsoleClock, parse_target, stamp, steps
from bot.core import CircleBot
from bot.files import FileReply, save_file
from bot.ports import Capabilities, Delivery, Identity, Sent
from bot.replies import Button, Form, FormField, Reply

WORKSPACE = "local"
DEFAULT_USER = "you"
BANNER = """Circlebot console — a local chat with no tokens needed.
Type /circle help to begin, /as NAME to act as someone else, /quit to leave.
/reply TEXT answers in your circle's thread; /clock +1w lets a week pass (/console help: all).
You are @you, a coordinator of this local workspace."""
CONSOLE_HELP = """Console commands (besides /circle ...):
  /as NAME          act as someone else (one person can play a coordinator and members)
  /reply TEXT       reply in the thread of the newest post in your circle (answers a prompt)
  /clock            show the console's time; /clock +1w, +2d, +3h or 2026-12-07 10:00 moves it,
                    running and delivering what falls due on the way (prompts, nudges, check-ins)
  1, 2, ...         press a numbered button under the last message you saw
  /quit             leave"""
KNOWN = ("/circle", "/as", "/reply", "/clock", "/console", "/quit", "/exit")

BOLD = re.compile(r"\*\*(.+?)\*\*", re.DOTALL)
ITALIC = re.compile(r"(?<![\w_])_(?!\s)(.+?)(?<!\s)_(?![\w_])")


def plain(text: str) -> str:
    """The chat markup (`**bold**`, `_italics_`) as a terminal shows it: without markers."""
    return ITALIC.sub(r"\1", BOLD.sub(r"\1", text))


def field_prompt(field: FormField, initial: str) -> str:
    """How the console asks for one field: its label, its choices, and what Enter does
    (keep the current value, or leave an optional field empty) when Enter does anything."""
    hint = " (" + "/".join(v for v, _ in field.options) + ")" if field.options else ""
    if initial:
        enter = f" [Enter to keep: {initial}]"
    elif field.required:
        enter = f" (e.g. {field.placeholder})" if field.placeholder else ""
    else:
        enter = f" (e.g. {field.placeholder}; Enter to leave empty)" if field.placeholder \
            else " (Enter to leave empty)"
    return f"{plain(field.label)}{hint}{enter}: "


def render(reply: Reply) -> str:
    """Plain text rendering. Console output never pings anyone, so user text is shown as is."""
    icon = {"success": "✓ ", "warning": "! ", "error": "✗ ", "info": ""}[reply.tone]
    lines = []
    if reply.mentions:
        lines.append(" ".join(f"@{m}" for m in reply.mentions))
    if reply.title:
        lines.append(f"== {plain(reply.title)} ==")
    if reply.text:
        lines.append(icon + plain(reply.text))
    for sec in reply.sections:
        lines.append(f"-- {plain(sec.title)} --" if sec.title else "--")
        lines.append(plain(sec.text))
    for f in reply.fields:
        lines.append(f"{plain(f.label)}: {plain(f.value)}")
    for i, b in enumerate(reply.buttons, start=1):
        lines.append(f"  [{i}] {b.label}")
    return "\n".join(lines)


class ConsoleGateway:
    """Where the delivery worker sends circle posts and DMs when running locally.

    Like a real chat it remembers who is in each space, so a person at the keyboard can
    press the buttons under the newest message they were shown (``pressable``) and reply in
    the thread of their circle's newest post (``latest_space``)."""

    platform = "console"
    # a terminal has no threads to reply in (its stand-in is `/reply`): notices say "Answer"
    capabilities = Capabilities(threads=False)

    def __init__(self, write: Callable[[str], None]) -> None:
        self.write = write
        self._ids = itertools.count(1)
        self.spaces: dict[str, str] = {}
        self.members: dict[str, list[str]] = {}
        self.pressable: dict[str, list[Button]] = {}  # user -> buttons of the newest message seen
        self.latest_space: dict[str, str] = {}  # user -> space of the newest circle post seen

    async def create_space(self, workspace: str, name: str, member_users: list[str],
                           hub: str | None = None, *, delivery: Delivery | None = None) -> Sent:
        space = f"C{next(self._ids)}"
        self.spaces[space] = name
        self.members[space] = list(member_users)
        self.write(f"[#{name}] created for {', '.join('@' + u for u in member_users)}")
        return Sent(space)

    async def post(self, workspace: str, space: str, message: Reply, thread: str | None = None,
                   *, delivery: Delivery | None = None) -> Sent:
        ref = f"{space}:{next(self._ids)}"
        text = render(message)
        if message.buttons:
            text += "\n  (type a number to press a button; /reply TEXT replies in this thread)"
        self.write(f"[#{self.spaces.get(space, space)}] (message {ref})\n{text}")
        for user in self.members.get(space, []):
            self.latest_space[user] = space
            if message.buttons:
                self.pressable[user] = list(message.buttons)
        return Sent(ref)

    async def dm(self, workspace: str, user: str, message: Reply, *,
                 delivery: Delivery | None = None) -> Sent:
        self.write(f"[DM to @{user}]\n{render(message)}")
        if message.buttons:
            self.pressable[user] = list(message.buttons)
        return Sent(f"D{next(self._ids)}")

    async def invite(self, workspace: str, space: str, users: list[str]) -> None:
        self.members.setdefault(space, []).extend(u for u in users if u not in self.members.get(space, []))
        self.write(f"[#{self.spaces.get(space, space)}] {', '.join('@' + u for u in users)} added")

    async def archive_space(self, workspace: str, space: str) -> None:
        self.write(f"[#{self.spaces.get(space, space)}] archived")


@dataclass
class Timekeeper:
    """What `/clock` needs, handed over by the composition root: the settable clock the core
    and the delivery worker read, the engine's "run what is due at this moment", and a flush
    of the outbox through the console gateway (returns how many messages went out)."""

    clock: ConsoleClock
    run_due: Callable[[dt.datetime], Awaitable[Counter[str]]]
    deliver: Callable[[], Awaitable[int]]


class ConsoleSession:
    """One person at the keyboard: holds the current identity and the last buttons."""

    def __init__(self, core: CircleBot, out: TextIO, ask: Callable[[str], str], *,
                 gateway: ConsoleGateway | None = None, time: Timekeeper | None = None) -> None:
        self.core = core
        self.out = out
        self.ask = ask
        self.user = DEFAULT_USER
        self.gateway = gateway
        self.time = time
        self._buttons: list[Button] = []

    @property
    def buttons(self) -> list[Button]:
        """The buttons under the newest message the current person saw (a reply or a post)."""
        if self.gateway is not None:
            return self.gateway.pressable.get(self.user, [])
        return self._buttons

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def identity(self) -> Identity:
        return Identity("console", WORKSPACE, self.user, display_name=self.user,
                        is_admin=self.user == DEFAULT_USER, has_workspace_admins=False)

    def show(self, reply: Reply) -> None:
        if self.gateway is not None:
            self.gateway.pressable[self.user] = list(reply.buttons)
        else:
            self._buttons = list(reply.buttons)
        text = render(reply)
        if text:
            print(text, file=self.out, flush=True)
        if isinstance(reply, FileReply):
            self.save(reply)

    def save(self, reply: FileReply) -> None:
        """A file reply (export-me) is saved under ``[privacy] files_dir``; its path printed."""
        path = save_file(reply, self.core.config.privacy.files_dir)
        self.say(f"📎 Saved {reply.safe_name} to {path}")

    async def fill(self, form: Form) -> dict[str, str | list[str]] | str:
        """The form's values, asked field by field; or, when the person typed a command
        instead (``/cancel`` or any other ``/...`` line), that line: the form is dropped
        unsaved and the command is not swallowed as a field's value.

        Each answer is checked as it is typed, by the rules the command behind the form
        uses; a refused answer is asked again with the reason, the other fields are kept.
        An empty answer keeps the old value only where the prompt says so ("Enter to keep"),
        leaves an optional field empty where it says that, and is refused for a required
        field with nothing to keep."""
        self.say(f"== {form.title} == (/cancel leaves without saving)")
        values: dict[str, str | list[str]] = {}
        for field in form.fields:
            answer = await self.ask_field(form, field)
            if answer is None:  # the input ended mid-form: leave it unsaved
                return "/cancel"
            if answer.startswith("/"):
                return answer
            values[field.name] = answer
        return values

    async def ask_field(self, form: Form, field: FormField) -> str | None:
        """One field's accepted value (or a ``/`` command line; None when the input ends)."""
        initial = ", ".join(field.initial) if isinstance(field.initial, list) else field.initial
        prompt = field_prompt(field, initial)
        while True:
            try:
                answer = (await read_line(self.ask, prompt)).strip()
            except EOFError:
                return None
            if answer.startswith("/"):
                return answer
            if not answer and initial:
                answer = initial
            elif not answer and field.required:
                self.say(f"✗ {plain(field.label)} is required: type a value, or /cancel.")
                continue
            options = [v for v, _ in field.options]
            if answer and options and answer.lower() not in (o.lower() for o in options):
                self.say(f"✗ '{answer}' isn't one of {', '.join(options)}.")
                continue
            problem = self.core.check_form_field(form.form_id, form.context, field.name, answer)
            if problem is None:
                return answer
            self.say(f"✗ {plain(problem)}")

    async def deliver(self, reply: Reply) -> None:
        self.show(reply)
        if reply.form is not None:
            values = await self.fill(reply.form)
            if isinstance(values, str):
                self.say(f"{reply.form.title}: not saved.")
                if values != "/cancel":
                    await self.handle_line(values)
                return
            result = await self.core.handle_form(self.identity(), reply.form.form_id, reply.form.context, values)
            await self.deliver(result)

    async def handle_line(self, line: str) -> bool:
        """Process one typed line; returns False when the user wants to quit."""
        line = line.strip()
        if not line:
            return True
        word, _, rest = line.partition(" ")
        rest = rest.strip()
        if word in ("/quit", "/exit", "quit", "exit"):
            return False
        if word == "/as":
            self.switch(rest.lstrip("@"))
        elif line.isdigit() and self.buttons:
            await self.press(int(line))
        elif word == "/circle":
            await self.deliver(await self.core.handle_command(self.identity(), rest))
        elif word == "/reply":
            await self.reply_in_thread(rest)
        elif word == "/clock":
            await self.move_clock(rest)
        elif word == "/console":
            self.say(CONSOLE_HELP)
        elif word.startswith("/circle"):
            self.say(f"I don't know {word}. Did you mean /circle? Try /circle help.")
        elif word.startswith("/"):
            self.say(f"I only know /circle commands here (and {', '.join(KNOWN[1:6])}). "
                     "Try /circle help or /console help.")
        else:
            self.say("Type a /circle command, e.g. /circle help.")
        if self.time is not None and word != "/clock":
            await self.time.deliver()  # what the command queued (a new circle, a welcome)
        return True

    def switch(self, name: str) -> None:
        if not name or not re.fullmatch(r"[\w.-]+", name):
            self.say("Usage: /as NAME (one word, e.g. /as maya)")
            return
        self.user = name
        self.say(f"You are now @{name}.")

    async def press(self, number: int) -> None:
        buttons = self.buttons
        if not 1 <= number <= len(buttons):
            self.say(f"Pick a button from 1 to {len(buttons)}.")
            return
        b = buttons[number - 1]
        await self.deliver(await self.core.handle_action(self.identity(), b.action, b.value))

    async def reply_in_thread(self, text: str) -> None:
        """The console's thread: a reply to the newest post in the person's circle."""
        space = self.gateway.latest_space.get(self.user) if self.gateway is not None else None
        if not text:
            self.say("Usage: /reply TEXT (replies in the thread of the newest post in your circle)")
            return
        if space is None:
            self.say("Nothing has been posted in a circle of yours yet, so there is no thread to "
                     "reply in. To answer a prompt: /circle answer \"TEXT\".")
            return
        reply = await self.core.handle_thread_reply(self.identity(), space, None, text)
        if reply is None:
            self.say("There is no prompt in your circle to reply to yet.")
        else:
            await self.deliver(reply)

    async def move_clock(self, text: str) -> None:
        """`/clock`: show the time, or walk it forward running and delivering what falls due."""
        if self.time is None:
            self.say("This console has no clock to move.")
            return
        clock = self.time.clock
        start = clock.now()
        if not text:
            self.say(f"It is {stamp(start)}. {CLOCK_USAGE}")
            return
        target = parse_target(text, start)
        if target is None:
            self.say(f"I can't read {text!r} as a time. {CLOCK_USAGE}")
            return
        if target <= start:
            self.say(f"It is already {stamp(start)}: the console's clock only moves forward.")
            return
        await self.time.deliver()
        for moment in steps(start, target):
            clock.set(moment)
            counts = +await self.time.run_due(moment)  # unary + drops the zero counts
            if counts:
                self.say(f"\n⏱ {stamp(moment)}: {describe(counts)}")
                await self.time.deliver()
        clock.set(max(clock.now(), target))
        self.say(f"\n⏱ It is now {stamp(clock.now())}.")


WHAT = {"prompt": ("prompt posted", "prompts posted"), "nudge": ("nudge", "nudges"),
        "checkin": ("check-in", "check-ins"), "digest": ("digest", "digests"),
        "round_end": ("round ended", "rounds ended"),
        "prompt_skipped": ("prompt skipped", "prompts skipped")}


def describe(counts: Counter[str]) -> str:
    """``2 prompts posted, 1 nudge``: what a step of the clock did."""
    parts = []
    for kind, n in counts.items():
        one, many = WHAT.get(kind, (kind.replace("_", " "), kind.replace("_", " ")))
        parts.append(f"{n} {one if n == 1 else many}")
    return ", ".join(parts)


_pending = bytearray()


def terminal_input(prompt: str) -> str:
    """``input()`` for a terminal (line editing); for piped input, a read of the raw file
    descriptor, which holds no interpreter lock, so a read still waiting when the console
    ends (Ctrl-C) can't block the interpreter's exit."""
    if sys.stdin.isatty():
        return input(prompt)
    sys.stdout.write(prompt)
    sys.stdout.flush()
    while b"\n" not in _pending:
        chunk = os.read(sys.stdin.fileno(), 4096)
        if not chunk:
            if not _pending:
                raise EOFError
            break
        _pending.extend(chunk)
    line, sep, rest = bytes(_pending).partition(b"\n")
    _pending[:] = rest
    return line.decode("utf-8", errors="replace").rstrip("\r")


async def read_line(ask: Callable[[str], str], prompt: str) -> str:
    """Waits for a typed line on a daemon thread: a line being waited for must not keep the
    process alive after Ctrl-C or /quit (the event loop's own threads are joined at exit)."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[str] = loop.create_future()

    def settle(fn: Callable[..., object], value: object) -> None:
        if not future.done():
            fn(value)

    def read() -> None:
        try:
            outcome: tuple[Callable[..., object], object] = (future.set_result, ask(prompt))
        except BaseException as exc:  # EOFError at the end of input, mostly
            outcome = (future.set_exception, exc)
        with contextlib.suppress(RuntimeError):  # the loop already ended (Ctrl-C, /quit)
            loop.call_soon_threadsafe(settle, *outcome)

    threading.Thread(target=read, name="console-input", daemon=True).start()
    return await future


async def run_console(core: CircleBot, out: TextIO, ask: Callable[[str], str] = terminal_input, *,
                      gateway: ConsoleGateway | None = None, time: Timekeeper | None = None) -> None:
    session = ConsoleSession(core, out, ask, gateway=gateway, time=time)
    print(BANNER, file=out, flush=True)
    while True:
        try:
            line = await read_line(ask, f"@{session.user}> ")
        except EOFError:
            break
        if not await session.handle_line(line):
            break
    print("Bye!", file=out, flush=True)
