"""Knowing when a test's action has finished, from real in-flight counters, not sleeps.

Two counters together say "nothing is in flight":

- ``InFlight``: every asyncio task started, directly or transitively, while a test's action
  was being fed to the adapter (Bolt's ack-then-listener tasks and lazy listeners,
  discord.py's dispatched event and ``CommandTree`` invoker tasks, ``asyncio.to_thread``
  work awaited inside them). A task factory on the running loop files each new task under
  the ``InFlight`` found in the creating context; tasks copy that context, so descendants
  are filed too. ``settled()`` awaits those tasks themselves.
- ``Requests``: the requests a fake platform server is handling right now, with a wake-up
  on every change, for the fake's side of the conversation (and for transports the test
  doesn't drive itself, such as a Socket Mode link, where ``until`` waits for what the fake
  received).

Both wait with a deadline and fail the test with what was still running.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager, suppress
from typing import Any

SETTLE_SECONDS = 60.0  # only how long before failing: generous, for a loaded machine

_owner: contextvars.ContextVar[InFlight | None] = contextvars.ContextVar(
    "tests_inflight_owner", default=None)


class Requests:
    """Requests a fake server is handling right now; every change wakes ``until``."""

    def __init__(self) -> None:
        self.active = 0
        self.handled = 0
        self._waiters: list[asyncio.Future[None]] = []

    @contextmanager
    def handling(self) -> Iterator[None]:
        self.active += 1
        try:
            yield
        finally:
            self.active -= 1
            self.handled += 1
            self.changed()

    def changed(self) -> None:
        """Wakes every ``until`` to re-check its condition."""
        waiters, self._waiters = self._waiters, []
        for fut in waiters:
            if not fut.done():
                fut.set_result(None)

    async def until(self, condition: Callable[[], bool], timeout: float = SETTLE_SECONDS,
                    what: str = "the condition") -> None:
        """Returns once ``condition()`` holds, re-checked after each request the fake
        finishes; fails the test at the deadline."""
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while not condition():
            left = end - loop.time()
            if left <= 0:
                raise AssertionError(f"timed out after {timeout}s waiting for {what}")
            fut: asyncio.Future[None] = loop.create_future()
            self._waiters.append(fut)
            with suppress(TimeoutError):
                await asyncio.wait_for(fut, left)

    async def idle(self, timeout: float = SETTLE_SECONDS) -> None:
        await self.until(lambda: self.active == 0, timeout, "the fake server to go idle")


class InFlight:
    """The tasks started by what a test fed in (see the module docstring). ``timers``
    names coroutines that only wait for a timeout (not work), which are never filed."""

    def __init__(self, timers: frozenset[str] = frozenset()) -> None:
        self.tasks: set[asyncio.Task[Any]] = set()
        self.timers = timers

    def file(self, task: asyncio.Task[Any]) -> None:
        if getattr(task.get_coro(), "__qualname__", "") in self.timers:
            return
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    @contextmanager
    def tracking(self) -> Iterator[None]:
        """Every task created inside this block (and their descendants) is in flight
        until it finishes."""
        _install(asyncio.get_running_loop())
        token = _owner.set(self)
        try:
            yield
        finally:
            _owner.reset(token)

    def pending(self) -> set[asyncio.Task[Any]]:
        return {t for t in self.tasks if not t.done()}

    async def settled(self, *servers: Requests, timeout: float = SETTLE_SECONDS) -> None:
        """Returns when no tracked task is running and no server is handling a request;
        fails the test with the names of what is still running at the deadline."""
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while True:
            pending = self.pending()
            busy = next((s for s in servers if s.active), None)
            if pending:
                _, still = await asyncio.wait(pending, timeout=max(end - loop.time(), 0.0))
                if still:
                    names = sorted(f"{t.get_name()} {t.get_coro()!r}" for t in still)
                    raise AssertionError(f"still in flight after {timeout}s: {names}")
            elif busy is not None:
                await busy.idle(max(end - loop.time(), 0.0))
            else:
                # done-callbacks of the last tasks run on the next loop turn and may start
                # more work: give them that one turn, then look again
                await asyncio.sleep(0)
                if not self.pending() and not any(s.active for s in servers):
                    return


def _install(loop: asyncio.AbstractEventLoop) -> None:
    """Wraps the loop's task factory (once per loop) to file new tasks by context."""
    current = loop.get_task_factory()
    if getattr(current, "files_inflight_tasks", False):
        return

    def factory(loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, Any],
                **kw: Any) -> asyncio.Task[Any]:
        task = current(loop, coro, **kw) if current else asyncio.Task(coro, loop=loop, **kw)
        ctx = kw.get("context")
        owner = ctx.get(_owner) if ctx is not None else _owner.get()
        if owner is not None:
            owner.file(task)
        return task  # type: ignore[return-value]

    factory.files_inflight_tasks = True  # type: ignore[attr-defined]
    loop.set_task_factory(factory)  # type: ignore[arg-type]
