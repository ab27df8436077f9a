"""Handlers: a typed request or action in, a use case called, a presenter's Reply out.

Importing this package registers every handler."""

from bot.handlers import buttons, members, privacy, programs, survey, weekly  # noqa: F401  (registers handlers)
from bot.handlers.registry import ACTION_HANDLERS, HANDLERS, Ctx

__all__ = ["ACTION_HANDLERS", "HANDLERS", "Ctx"]
