"""A local chat in the terminal: try every feature with no tokens.

Behaves like a tiny chat platform: `/circle ...` commands, numbered "buttons" (type the
number to press one), forms asked field by field, and a ChatGateway that prints what would
be posted into circle spaces and DMs. `/as NAME` switches who you are, so one person can
play a coordinator and several members.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from typing import TextIO

from bot.core import CircleBot
from bot.ports import Delivery, Identity, Sent
from bot.replies import Button, Form, Reply

WORKSPACE = "local"
DEFAULT_USER = "you"
BANNER = """Circlebot console — a local chat with no tokens needed.
Type /circle help to begin, /as NAME to act as someone else, /quit to leave.
You are @you, a coordinator of this local workspace."""


def render(reply: Reply) -> str:
    """Plain text rendering. Console output never pings anyone, so user text is shown as is."""
    icon = {"success": "✓ ", "warning": "! ", "error": "✗ ", "info": ""}[reply.tone]
    lines = []
    if reply.mentions:
        lines.append(" ".join(f"@{m}" for m in reply.mentions))
    if reply.title:
        lines.append(f"== {reply.title} ==")
    if reply.text:
        lines.append(icon + reply.text)
    for sec in reply.sections:
        lines.append(f"-- {sec.title} --" if sec.title else "--")
        lines.append(sec.text)
    for f in reply.fields:
        lines.append(f"{f.label}: {f.value}")
    for i, b in enumerate(reply.buttons, start=1):
        lines.append(f"  [{i}] {b.label}")
    return "\n".join(lines)


class ConsoleGateway:
    """Where the delivery worker sends circle posts and DMs when running locally."""

    platform = "console"

    def __init__(self, write: Callable[[str], None]) -> None:
        self.write = write
        self._ids = itertools.count(1)
        self.spaces: dict[str, str] = {}

    async def create_space(self, workspace: str, name: str, member_users: list[str],
                           hub: str | None = None, *, delivery: Delivery | None = None) -> Sent:
        space = f"C{next(self._ids)}"
        self.spaces[space] = name
        self.write(f"[#{name}] created for {', '.join('@' + u for u in member_users)}")
        return Sent(space)

    async def post(self, workspace: str, space: str, message: Reply, thread: str | None = None,
                   *, delivery: Delivery | None = None) -> Sent:
        ref = f"{space}:{next(self._ids)}"
        self.write(f"[#{self.spaces.get(space, space)}] (message {ref})\n{render(message)}")
        return Sent(ref)

    async def dm(self, workspace: str, user: str, message: Reply, *,
                 delivery: Delivery | None = None) -> Sent:
        self.write(f"[DM to @{user}]\n{render(message)}")
        return Sent(f"D{next(self._ids)}")

    async def invite(self, workspace: str, space: str, users: list[str]) -> None:
        self.write(f"[#{self.spaces.get(space, space)}] {', '.join('@' + u for u in users)} added")

    async def archive_space(self, workspace: str, space: str) -> None:
        self.write(f"[#{self.spaces.get(space, space)}] archived")


class ConsoleSession:
    """One person at the keyboard: holds the current identity and the last buttons."""

    def __init__(self, core: CircleBot, out: TextIO, ask: Callable[[str], str]) -> None:
        self.core = core
        self.out = out
        self.ask = ask
        self.user = DEFAULT_USER
        self.buttons: list[Button] = []

    def identity(self) -> Identity:
        return Identity("console", WORKSPACE, self.user, display_name=self.user,
                        is_admin=self.user == DEFAULT_USER)

    def show(self, reply: Reply) -> None:
        self.buttons = list(reply.buttons)
        text = render(reply)
        if text:
            print(text, file=self.out, flush=True)

    async def fill(self, form: Form) -> dict[str, str | list[str]]:
        print(f"== {form.title} == (press Enter to keep the value in [brackets])", file=self.out, flush=True)
        values: dict[str, str | list[str]] = {}
        for field in form.fields:
            initial = ", ".join(field.initial) if isinstance(field.initial, list) else field.initial
            hint = ""
            if field.options:
                hint = " (" + "/".join(v for v, _ in field.options) + ")"
            answer = await asyncio.to_thread(self.ask, f"{field.label}{hint} [{initial}]: ")
            values[field.name] = answer.strip() or initial
        return values

    async def deliver(self, reply: Reply) -> None:
        self.show(reply)
        if reply.form is not None:
            values = await self.fill(reply.form)
            result = await self.core.handle_form(self.identity(), reply.form.form_id, reply.form.context, values)
            await self.deliver(result)

    async def handle_line(self, line: str) -> bool:
        """Process one typed line; returns False when the user wants to quit."""
        line = line.strip()
        if not line:
            return True
        if line in ("/quit", "/exit", "quit", "exit"):
            return False
        if line.startswith("/as"):
            name = line[3:].strip().lstrip("@")
            if not name:
                print("Usage: /as NAME", file=self.out, flush=True)
            else:
                self.user = name
                print(f"You are now @{name}.", file=self.out, flush=True)
            return True
        if line.isdigit() and self.buttons:
            idx = int(line) - 1
            if not 0 <= idx < len(self.buttons):
                print(f"Pick a button from 1 to {len(self.buttons)}.", file=self.out, flush=True)
                return True
            b = self.buttons[idx]
            await self.deliver(await self.core.handle_action(self.identity(), b.action, b.value))
            return True
        if line.startswith("/circle"):
            await self.deliver(await self.core.handle_command(self.identity(), line[len("/circle"):].strip()))
            return True
        if line.startswith("/"):
            print("I only know /circle commands here (and /as, /quit). Try /circle help.", file=self.out, flush=True)
            return True
        print("Type a /circle command, e.g. /circle help.", file=self.out, flush=True)
        return True


async def run_console(core: CircleBot, out: TextIO, ask: Callable[[str], str] = input) -> None:
    session = ConsoleSession(core, out, ask)
    print(BANNER, file=out, flush=True)
    while True:
        try:
            line = await asyncio.to_thread(ask, f"@{session.user}> ")
        except EOFError:
            break
        if not await session.handle_line(line):
            break
    print("Bye!", file=out, flush=True)
