"""The one error the grammar raises."""

from __future__ import annotations


class ParseError(Exception):
    """A user mistake, with the message to show and the usage to show it with."""

    def __init__(self, message: str, usage: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.usage = usage
