"""Parsing: text (or typed options) → a typed request, or a ParseError with the usage."""

from __future__ import annotations

import datetime as dt
import difflib
import re
import shlex
from typing import Any

from bot.commands.errors import ParseError
from bot.commands.help import option_usage
from bot.commands.requests import Help, ProfileSet, Request
from bot.commands.spec import GROUPS, SPEC_BY_REQUEST, SPECS, Arg, CommandSpec
from bot.commands.values import (
    check_text,
    refuse_nul,
    to_availability,
    to_date,
    to_day,
    to_int,
    to_list,
    to_member,
    to_size,
    to_time,
    to_timezone,
    to_weights,
)
from bot.commands.vocab import CHECKIN, INT_ARGS, KINDS, PROFILE_KEYS, ROLES
from circles import rules


def convert_arg(arg: Arg, raw: str, today: dt.date | None) -> Any:
    t = arg.type
    if t in ("word", "rest"):
        return raw
    if t == "text":
        # a name is stored in a String(MAX_NAME) column; other text may be up to MAX_TEXT
        return check_text(raw, arg.name, rules.MAX_PROGRAM_NAME if arg.name == "name"
                          else rules.MAX_TEXT)
    if t == "choice":
        low = raw.lower()
        if low not in arg.choices:
            raise ParseError(f"'{raw}' isn't a valid {arg.name}. Choose one of: {', '.join(arg.choices)}.")
        return low
    if t == "kind":
        low = raw.lower()
        if low not in KINDS:
            raise ParseError(f"'{raw}' isn't a circle kind. Choose one of: {', '.join(KINDS)}.")
        return KINDS[low]
    if t == "checkin":
        low = raw.lower()
        if low not in CHECKIN:
            raise ParseError(f"'{raw}' isn't a check-in answer. Use yes, not-yet or skipped "
                             "(\"not yet\" and \"no\", for didn't meet, work too).")
        return CHECKIN[low]
    if t == "date":
        return to_date(raw, today)
    if t in INT_ARGS:
        bounds, what = INT_ARGS[t]
        return to_int(raw, bounds.lo, bounds.hi, what)
    if t == "size":
        return to_size(raw)
    if t == "day":
        return to_day(raw)
    if t == "time":
        return to_time(raw)
    if t == "program_tz":
        return to_timezone(raw, allow_member_local=True)
    if t == "member":
        return to_member(raw)
    if t == "weights":
        return to_weights(raw)
    raise AssertionError(f"unknown arg type {t}")


def parse_profile_values(options: dict[str, str]) -> dict[str, Any]:
    """Validate `profile set` / profile-form values into engine fields."""
    out: dict[str, Any] = {}
    for key, raw in options.items():
        if key not in PROFILE_KEYS:
            raise ParseError(
                f"I don't know the profile field '{key}'. Fields: {', '.join(PROFILE_KEYS)}."
            )
        raw = raw.strip()
        if key == "role":
            if raw.lower() not in ROLES:
                raise ParseError(f"'{raw}' isn't a role. Choose one of: {', '.join(ROLES)}.")
            out["role"] = raw.lower()
        elif key == "experience":
            lo, hi = rules.EXPERIENCE
            out["experience"] = to_int(raw, lo, hi, f"experience ({lo} new … {hi} expert)")
        elif key == "capacity":
            lo, hi = rules.MENTOR_CAPACITY
            out["mentor_capacity"] = to_int(raw, lo, hi, "mentor capacity")
        elif key == "department":
            out["department"] = check_text(raw, "department")[: rules.MAX_DEPARTMENT] if raw else ""
        elif key in ("interests", "goals", "offers", "wants"):
            check_text(raw or "-", key)
            name = {"offers": "skills_offered", "wants": "skills_wanted"}.get(key, key)
            out[name] = to_list(raw)
        elif key == "timezone":
            out["timezone"] = to_timezone(raw)
        elif key == "availability":
            out["availability"] = to_availability(raw) if raw else []
        elif key == "program":  # which enrolment a role or capacity is for
            out["program"] = check_text(raw, "program name", rules.MAX_PROGRAM_NAME)
        elif key == "avoid":  # "never with" opt-outs; resolved to members by the core
            out["avoid"] = [to_member(x.strip()) for x in re.split(r"[,\s]+", raw) if x.strip()]
    if "program" in out and not {"role", "mentor_capacity"} & set(out):
        raise ParseError('program= says which program a role or capacity is for: add role= or '
                         'capacity=, e.g. role=mentor program="Pods".')
    return out


def _tokenize(text: str) -> list[str]:
    # Slack and phones turn quotes curly; accept them as plain quotes.
    text = text.replace("“", '"').replace("”", '"').replace("‘", "'").replace("’", "'")
    try:
        return shlex.split(text)
    except ValueError:
        raise ParseError("A quote is missing its closing partner: check your \" marks.") from None


def find_spec(tokens: list[str]) -> tuple[CommandSpec, list[str]]:
    if not tokens:
        return SPEC_BY_REQUEST[Help], []
    low = [t.lower() for t in tokens]
    best: CommandSpec | None = None
    for spec in SPECS:
        n = len(spec.path)
        if tuple(low[:n]) == spec.path and (best is None or n > len(best.path)):
            best = spec
    if best is not None:
        return best, tokens[len(best.path):]
    if low[0] in GROUPS:
        subs = [s.path[1] for s in SPECS if s.path[0] == low[0] and len(s.path) > 1]
        what = f"'{tokens[1]}' isn't a {low[0]} command" if len(tokens) > 1 else f"'{low[0]}' needs a subcommand"
        raise ParseError(f"{what}. Try one of: {', '.join(subs)}.", f"/circle {low[0]} {subs[0]} ...")
    names = sorted({s.path[0] for s in SPECS})
    close = difflib.get_close_matches(low[0], names, n=1)
    hint = f" Did you mean `/circle {close[0]}`?" if close else ""
    raise ParseError(f"I don't know the command '{tokens[0]}'.{hint} Type `/circle help` to see them all.")


def parse(text: str, today: dt.date | None = None) -> Request:
    """Parse the text after `/circle` into a typed request, or raise ParseError."""
    if len(text) > rules.MAX_TEXT + rules.MAX_COMMAND_OVERHEAD:
        raise ParseError(
            f"That message is {len(text):,} characters; the limit is {rules.MAX_TEXT:,}. Nothing was saved."
        )
    refuse_nul(text, "command")
    spec, rest = find_spec(_tokenize(text))
    try:
        return _parse_args(spec, rest, today)
    except ParseError as exc:
        raise ParseError(exc.message, exc.usage or spec.short_usage) from None


#: how a missing argument is named when its spelling in the grammar isn't a noun
MISSING_WORDS = {"until": "date to pause until"}


def missing_word(arg: Arg) -> str:
    """``new_name`` → "new name": an argument named as a person would."""
    return MISSING_WORDS.get(arg.name, arg.name.replace("_", " "))


def _parse_args(spec: CommandSpec, tokens: list[str], today: dt.date | None) -> Request:
    values: dict[str, Any] = {}
    options = {a.name: a for a in spec.args if a.option}
    positionals = [a for a in spec.args if not a.option]
    if positionals and positionals[0].type == "profile_options":
        opts: dict[str, str] = {}
        for tok in tokens:
            key, eq, value = tok.partition("=")
            if not eq:
                raise ParseError(f"'{tok}' should look like key=value, e.g. timezone=Europe/Berlin.")
            opts[key.lower()] = value
        if not opts:
            raise ParseError("Tell me which fields to change, e.g. timezone=Europe/Berlin.")
        return ProfileSet(values=parse_profile_values(opts))
    if positionals and positionals[0].type == "rest":
        return spec.request(**{positionals[0].name: " ".join(tokens).lower()})

    free: list[str] = []
    for tok in tokens:
        key, eq, value = tok.partition("=")
        if eq and key.lower() in options:
            try:
                values[key.lower()] = convert_arg(options[key.lower()], value, today)
            except ParseError as exc:  # show how that one option is typed, not the whole line
                raise ParseError(exc.message, option_usage(options[key.lower()])) from None
        elif eq and re.fullmatch(r"[a-z_]+", key.lower()) and (options or not positionals) \
                and not spec.free_text:
            known = ", ".join(options) or "none"
            close = difflib.get_close_matches(key.lower(), list(options), n=1)
            hint = f" Did you mean {close[0]}=?" if close else ""
            more = f" (`/circle help {spec.name}` explains each)" if options else ""
            raise ParseError(f"'{key}' isn't an option here.{hint} Options: {known}{more}.")
        else:
            free.append(tok)

    keywords = {a.keyword for a in positionals if a.keyword}
    i = 0
    for idx, arg in enumerate(positionals):
        if i < len(free) and arg.keyword and free[i].lower() == arg.keyword:
            i += 1
        if i >= len(free):
            if arg.required:
                raise ParseError(f"The {missing_word(arg)} is missing.")
            continue
        later = positionals[idx + 1 :]
        if arg.type == "text" and not any(a.type == "text" for a in later):
            # unquoted free text runs to the next keyword (e.g. `by`) or the end
            j = i
            while j < len(free) and free[j].lower() not in keywords:
                j += 1
            if j == i:
                if arg.required:
                    raise ParseError(f"The {missing_word(arg)} is missing.")
                continue
            values[arg.name] = convert_arg(arg, " ".join(free[i:j]), today)
            i = j
        elif arg.type == "checkin" and " ".join(free[i:i + 2]).lower() == "not yet":
            values[arg.name] = convert_arg(arg, "not yet", today)  # two words, one answer
            i += 2
        else:
            values[arg.name] = convert_arg(arg, free[i], today)
            i += 1
    if i < len(free):
        extra = " ".join(free[i:])
        raise ParseError(f"I didn't expect '{extra}' here.")
    return spec.request(**values)
