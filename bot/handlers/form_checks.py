"""Which fields of a submitted form are wrong, found before anything is saved.

A platform that can show an error next to a field (Slack's ``response_action: errors``, the
console re-asking one field, a Discord page re-opened with what was typed) keeps the form
open, so nobody retypes a ten-field profile because of one typo. The checks are the same
parsers the commands use, run one field at a time.
"""

from __future__ import annotations

from collections.abc import Callable

from bot import actions as a
from bot import commands as c

Values = dict[str, str | list[str]]
FieldErrors = dict[str, str]


def _text(value: str | list[str] | None) -> str:
    return ", ".join(value) if isinstance(value, list) else (value or "")


def profile_errors(values: Values) -> FieldErrors:
    errors: FieldErrors = {}
    for key in c.PROFILE_KEYS:
        if key not in values:
            continue
        try:
            c.parse_profile_values({key: _text(values[key])})
        except c.ParseError as exc:
            errors[key] = exc.message
    return errors


def text_errors(field: str) -> Callable[[Values], FieldErrors]:
    def check(values: Values) -> FieldErrors:
        try:
            c.check_text(_text(values.get(field)), field)
        except c.ParseError as exc:
            return {field: exc.message}
        return {}
    return check


FORM_CHECKS: dict[type, Callable[[Values], FieldErrors]] = {
    a.ProfileForm: profile_errors,
    a.AnswerForm: text_errors("answer"),
    a.PulseCommentForm: text_errors("comment"),
}


def field_errors(form: object, values: Values) -> FieldErrors:
    """The message for each wrong field (empty when the form can be saved as it is)."""
    check = FORM_CHECKS.get(type(form))
    return check(values) if check is not None else {}
