"""Checking one form field as it is typed, by the rules the commands use.

A platform that asks a form's fields one at a time (the console) checks each answer at
once, so a person re-types only the field that was wrong instead of the whole form. The
checks are the grammar's own (``profile set``'s field parser, the text limits), so a value a
form accepts is exactly one the command would accept, and the handler that saves the form
runs the same checks again on submit.
"""

from __future__ import annotations

from collections.abc import Callable

from bot import actions as a
from bot import commands as c


def _profile(name: str, raw: str) -> None:
    c.parse_profile_values({name: raw})


def _text(name: str, raw: str) -> None:
    c.check_text(raw, name)


CHECKS: dict[type[a.Action], Callable[[str, str], None]] = {
    a.ProfileForm: _profile,
    a.AnswerForm: _text,
    a.PulseCommentForm: _text,
}


def field_error(form_id: str, context: str, name: str, value: str) -> str | None:
    """What is wrong with ``value`` for the field ``name`` of a form, or None when the
    command behind the form would accept it."""
    try:
        form = a.decode_form(form_id, context)
    except a.BadAction:
        return None  # the submit itself reports a tampered form
    check = CHECKS.get(type(form))
    if check is None:
        return None
    try:
        check(name, value)
    except c.ParseError as exc:
        return exc.message
    return None
