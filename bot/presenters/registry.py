"""Which presenter words which notice: one table, filled by ``@presents`` in each module."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from bot.replies import Reply

F = TypeVar("F", bound=Callable[..., Reply])
PRESENTERS: dict[type, Callable[[Any], Reply]] = {}


def presents(notice_type: type) -> Callable[[F], F]:
    def register(fn: F) -> F:
        if notice_type in PRESENTERS:
            raise ValueError(f"{notice_type.__name__} has two presenters")
        PRESENTERS[notice_type] = fn
        return fn
    return register


def render_notice(n: Any) -> Reply:
    return PRESENTERS[type(n)](n)
