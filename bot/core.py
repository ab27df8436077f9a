"""CircleBot: the one entry point every adapter calls.

An adapter turns its platform's event into (Identity, text | request | action | form) and
renders the neutral Reply it gets back. Each call is one unit of work: either everything it
changes is committed together with the outbox rows it causes, or nothing is.
"""

from __future__ import annotations

import asyncio
import contextvars
import datetime as dt
import functools
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import TypeVar
from zoneinfo import available_timezones

from bot import actions as a
from bot import commands as c
from bot import forms
from bot.config import Config
from bot.handlers import ACTION_HANDLERS, HANDLERS, Ctx
from bot.ports import Identity
from bot.presenters import home as present_home
from bot.presenters import programs as present_programs
from bot.presenters import weekly as present_weekly
from bot.presenters.errors import database_unavailable, explain
from bot.replies import Reply, error
from circles import purge
from circles.db import SessionFactory, database_problem, unit_of_work
from circles.errors import DomainError
from circles.model import utcnow
from circles.usecases import context, insight, lookup, weekly

Clock = Callable[[], dt.datetime]
T = TypeVar("T")


class CircleBot:
    def __init__(self, sessions: SessionFactory, config: Config | None = None,
                 clock: Clock = utcnow, executor: Executor | None = None,
                 coordinator_executor: Executor | None = None) -> None:
        self.sessions = sessions
        self.config = config or Config()
        self.clock = clock
        # Database work runs on a bounded pool of its own, never the loop's default one, so
        # a burst of slow commands queues here while acks and HTTP keep flowing.
        self.executor = executor or ThreadPoolExecutor(
            max_workers=self.config.bot.workers, thread_name_prefix="circlebot")
        # Coordinator commands (health of a big program, preview, publish) can take seconds:
        # they get a lane of their own so they never occupy the workers members' commands
        # queue for.
        self.coordinator_executor = coordinator_executor or ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="circlebot-coordinator")
        # Called with the person's identity after forget-me succeeded, so adapters drop what
        # they cache about them (the Slack identity cache) too.
        self.forget_hooks: list[Callable[[Identity], None]] = []

    async def _offload(self, fn: Callable[..., T], *args: object,
                       lane: Executor | None = None) -> T:
        """Run blocking work on the bot's executor (like asyncio.to_thread, bounded)."""
        loop = asyncio.get_running_loop()
        call = functools.partial(contextvars.copy_context().run, fn, *args)
        return await loop.run_in_executor(lane or self.executor, call)

    def _lane(self, request: c.Request) -> Executor:
        return self.coordinator_executor if c.spec_for(request).coordinator_only \
            else self.executor

    def _lane_for_text(self, text: str) -> Executor:
        """Parsing is cheap and pure, so the lane is chosen on the loop before offloading."""
        try:
            return self._lane(c.parse(text, today=self.today()))
        except c.ParseError:
            return self.executor

    def close(self) -> None:
        """Let queued work finish and stop the worker threads."""
        self.executor.shutdown(wait=True)
        self.coordinator_executor.shutdown(wait=True)

    # ------------------------------------------------------------ adapter API

    async def handle_command(self, who: Identity, text: str) -> Reply:
        return await self._offload(self.handle_command_sync, who, text,
                                   lane=self._lane_for_text(text))

    async def handle_request(self, who: Identity, request: c.Request) -> Reply:
        return await self._offload(self.handle_request_sync, who, request,
                                   lane=self._lane(request))

    async def handle_action(self, who: Identity, action: str, value: str) -> Reply:
        return await self._offload(self.handle_action_sync, who, action, value)

    async def handle_form(self, who: Identity, form_id: str, context: str,
                          values: dict[str, str | list[str]]) -> Reply:
        return await self._offload(self.handle_form_sync, who, form_id, context, values)

    def check_form_field(self, form_id: str, context: str, name: str, value: str) -> str | None:
        """Why one form field's value would be refused (by the rules its command uses), or
        None: for adapters that ask a form field by field. Pure: no database, no clock."""
        return forms.field_error(form_id, context, name, value)

    async def handle_thread_reply(self, who: Identity, space: str, thread: str | None,
                                  text: str) -> Reply | None:
        return await self._offload(self.handle_thread_reply_sync, who, space, thread, text)

    async def home(self, who: Identity) -> list[Reply]:
        return await self._offload(self.home_sync, who)

    async def workspace_removed(self, platform: str, workspace: str) -> None:
        """Uninstalled / removed: tokens deleted now, data purged after the grace period."""
        def run() -> None:
            with unit_of_work(self.sessions) as session:
                purge.mark_removed(session, platform, workspace, self.clock(),
                                   self.config.privacy.purge_after_days)
        await self._offload(run)

    async def workspace_restored(self, platform: str, workspace: str) -> None:
        """Reinstalled (or the bot added back) within the grace period: the purge is off."""
        def run() -> None:
            with unit_of_work(self.sessions) as session:
                purge.restore(session, platform, workspace)
        await self._offload(run)

    async def autocomplete(self, who: Identity, kind: str, prefix: str) -> list[tuple[str, str]]:
        return await self._offload(self.autocomplete_sync, who, kind, prefix)

    # --------------------------------------------------------- sync versions

    def handle_command_sync(self, who: Identity, text: str) -> Reply:
        try:
            request = c.parse(text, today=self.today())
        except c.ParseError as exc:
            return error(exc.message, exc.usage)
        except Exception as exc:  # the database is down or stalled: say so, nothing was kept
            problem = database_problem(exc)
            if problem is None:
                raise
            return database_unavailable(problem.kind)
        return self.handle_request_sync(who, request)

    def handle_request_sync(self, who: Identity, request: c.Request) -> Reply:
        spec = c.spec_for(request)
        handler = HANDLERS[type(request)]

        def run(ctx: Ctx) -> Reply:
            if spec.coordinator_only and not ctx.is_coordinator:
                return present_programs.coordinators_only(spec.name)
            return handler(ctx, request)

        return self._run(who, run)

    def handle_action_sync(self, who: Identity, action: str, value: str) -> Reply:
        try:
            decoded = a.decode(action, value)
        except a.BadAction:
            return present_programs.bad_button()
        handler = ACTION_HANDLERS[type(decoded)]
        reply = self._run(who, lambda ctx: handler(ctx, decoded))
        if isinstance(decoded, a.ConfirmForget) and reply.tone == "success":
            for hook in self.forget_hooks:
                hook(who)
        return reply

    def handle_form_sync(self, who: Identity, form_id: str, context_value: str,
                         values: dict[str, str | list[str]]) -> Reply:
        try:
            decoded = a.decode_form(form_id, context_value)
        except a.BadAction:
            return present_programs.bad_button()
        handler = ACTION_HANDLERS[type(decoded)]
        return self._run(who, lambda ctx: handler(ctx, decoded), values)

    def check_form(self, form_id: str, context_value: str,
                   values: dict[str, str | list[str]]) -> dict[str, str]:
        """The fields of a submitted form that are wrong, with a message each, before any
        database work: cheap enough to answer within a platform's acknowledgement window,
        so the form can stay open with the errors shown next to the fields."""
        errors = {}
        for name, value in values.items():
            text = ", ".join(value) if isinstance(value, list) else (value or "")
            problem = forms.field_error(form_id, context_value, name, text)
            if problem is not None:
                errors[name] = problem
        return errors

    def handle_thread_reply_sync(self, who: Identity, space: str, thread: str | None,
                                 text: str) -> Reply | None:
        """A message in a circle's space: an answer to the prompt it replies to (or, with no
        thread, the circle's newest prompt). None when it is not about a prompt at all."""
        found: list[int] = []

        def run(ctx: Ctx) -> Reply:
            post_id = weekly.prompt_in_space(ctx.actor, space, thread)
            if post_id is None:
                return Reply(text="")
            found.append(post_id)
            body = c.check_text(text, "answer")
            return present_weekly.answer_recorded(weekly.answer(ctx.actor, body, post_id))

        reply = self._run(who, run)
        # an answer that could not even be looked up still hears why, rather than silence
        return reply if found or reply.tone == "error" and reply.text else None

    def home_sync(self, who: Identity) -> list[Reply]:
        box: list[list[Reply]] = []

        def run(ctx: Ctx) -> Reply:
            box.append(present_home.home(insight.home(ctx.actor, ctx.now)))
            return Reply(text="")

        failed = self._run(who, run)
        return box[0] if box else [failed]

    def autocomplete_sync(self, who: Identity, kind: str, prefix: str) -> list[tuple[str, str]]:
        if kind == "timezone":
            low = prefix.lower()
            zones = sorted(z for z in available_timezones() if low in z.lower())
            return [(z, z) for z in zones[:25]]
        with unit_of_work(self.sessions) as session:
            return lookup.suggest(session, who.platform, who.workspace, kind, prefix)

    def today(self) -> dt.date:
        return self.clock().date()

    # -------------------------------------------------------------- plumbing

    def _run(self, who: Identity, fn: Callable[[Ctx], Reply],
             form_values: dict[str, str | list[str]] | None = None) -> Reply:
        keys = {f"{who.platform}:{who.workspace}:{who.user}", f"{who.platform}:*:{who.user}"}
        now = self.clock()  # one moment per request: what it reads and what it stamps
        try:
            with unit_of_work(self.sessions, now=now) as session:
                actor = context.enter(
                    session, who.platform, who.workspace, who.user, who.display_name,
                    platform_admin=who.is_admin,
                    configured_coordinator=bool(keys & set(self.config.bot.coordinators)))
                return fn(Ctx(actor, who, now, self.config, form_values))
        except DomainError as exc:
            return error(explain(exc))
        except c.ParseError as exc:
            return error(exc.message, exc.usage)
        except Exception as exc:  # the database is down or stalled: say so, nothing was kept
            problem = database_problem(exc)
            if problem is None:
                raise
            return database_unavailable(problem.kind)
