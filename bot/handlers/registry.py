"""Request type -> handler, button action type -> handler: two dicts, filled by decorators
in the handler modules. No dispatch on method names."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from bot.config import Config
from bot.ports import Identity
from bot.replies import Reply
from circles.usecases.context import Actor

F = TypeVar("F", bound=Callable[..., Reply])


@dataclass
class Ctx:
    """Everything a handler needs about the current request."""

    actor: Actor
    who: Identity
    now: dt.datetime
    config: Config
    form_values: dict[str, str | list[str]] | None = None  # a submitted form's fields

    @property
    def today(self) -> dt.date:
        return self.now.date()

    @property
    def is_coordinator(self) -> bool:
        return self.actor.is_coordinator


HANDLERS: dict[type, Callable[[Ctx, Any], Reply]] = {}
ACTION_HANDLERS: dict[type, Callable[[Ctx, Any], Reply]] = {}


def _register(table: dict[type, Callable[[Ctx, Any], Reply]], kind: type) -> Callable[[F], F]:
    def register(fn: F) -> F:
        if kind in table:
            raise ValueError(f"{kind.__name__} has two handlers")
        table[kind] = fn
        return fn
    return register


def handles(request_type: type) -> Callable[[F], F]:
    return _register(HANDLERS, request_type)


def on_action(action_type: type) -> Callable[[F], F]:
    """Buttons and form submissions (both decode to typed actions)."""
    return _register(ACTION_HANDLERS, action_type)
