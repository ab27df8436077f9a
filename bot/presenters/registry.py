"""Which presenter words which notice: one table, filled by ``@presents`` in each module."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, TypeVar

from bot.ports import ALL_CAPABILITIES, Capabilities
from bot.replies import Reply

F = TypeVar("F", bound=Callable[..., Reply])
PRESENTERS: dict[type, Callable[[Any], Reply]] = {}
#: notices whose words depend on what the platform can do: their presenter takes ``can``
CAPABLE: set[type] = set()


def presents(notice_type: type) -> Callable[[F], F]:
    def register(fn: F) -> F:
        if notice_type in PRESENTERS:
            raise ValueError(f"{notice_type.__name__} has two presenters")
        PRESENTERS[notice_type] = fn
        if "can" in inspect.signature(fn).parameters:
            CAPABLE.add(notice_type)
        return fn
    return register


def render_notice(n: Any, can: Capabilities = ALL_CAPABILITIES) -> Reply:
    """The notice in words, for a platform that can do what ``can`` says."""
    if type(n) in CAPABLE:
        return PRESENTERS[type(n)](n, can=can)
    return PRESENTERS[type(n)](n)
