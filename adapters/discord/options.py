"""The `/circle` grammar (bot.commands.SPECS) as Discord slash-command options.

Nothing here validates: every option arrives as the string the text grammar would have
seen and goes through ``bot.commands`` converters, so Slack, the console and Discord accept
and reject exactly the same things with the same messages. Discord-side typing (integer
ranges, choices, autocomplete) only makes the right input easy to give.
"""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import discord
from discord import app_commands

from bot import commands as c
from circles import rules

DESCRIPTION_MAX = 100

#: the grammar's whole-number argument types and their bounds, typed as Discord integer ranges
INT_RANGES: dict[str, tuple[int, int]] = {t: tuple(bounds) for t, (bounds, _) in c.INT_ARGS.items()}
DESCRIPTIONS: dict[str, str] = {
    "date": "A date: YYYY-MM-DD, today or tomorrow",
    "size": "Circle size: a range like 4-6, or one number",
    "time": "24-hour time, HH:MM",
    "program_tz": "IANA time zone (e.g. Europe/Berlin) or member-local",
    "member": "Who: pick a member",
    "text": "Text",
}
# profile set: one typed option per profile field instead of key=value text
PROFILE_OPTIONS: list[tuple[str, str]] = [
    ("role", "choice"),
    ("experience", "experience"),
    ("department", "word"),
    ("interests", "list"),
    ("goals", "list"),
    ("offers", "list"),
    ("wants", "list"),
    ("timezone", "timezone"),
    ("availability", "word"),
    ("capacity", "capacity"),
    ("avoid", "list"),
    ("program", "word"),
]
PROFILE_DESCRIPTIONS = {
    "role": "Your role",
    "experience": f"Experience, {rules.EXPERIENCE.lo} (new) to {rules.EXPERIENCE.hi} (expert)",
    "department": "Your team or department",
    "interests": "Interests, comma separated",
    "goals": "Goals, comma separated",
    "avoid": "Never match me with: @mentions or names, comma separated",
    "offers": "Skills you can offer, comma separated",
    "wants": "Skills you want to learn, comma separated",
    "timezone": "Your IANA time zone, e.g. Europe/Berlin",
    "availability": "Weekly availability, e.g. mon 9-12, wed 14-17",
    "capacity": "Mentors: how many mentees you can take "
                f"({rules.MENTOR_CAPACITY.lo}-{rules.MENTOR_CAPACITY.hi})",
    "program": "Which program your role and capacity are for (default: the one joined last)",
}


@dataclass(frozen=True)
class Option:
    """One Discord option: name, annotation, choices, and the autocomplete kind if any."""

    name: str
    annotation: Any
    required: bool
    description: str
    choices: tuple[str, ...] = ()
    autocomplete: str | None = None  # program | member | timezone


def discord_paths() -> dict[tuple[str, ...], c.CommandSpec]:
    """Discord path per spec. A path that is also a group (``profile``) can't be a command
    on Discord, so it becomes ``<group> show``; everything else keeps its name."""
    groups = {s.path[0] for s in c.SPECS if len(s.path) > 1}
    out: dict[tuple[str, ...], c.CommandSpec] = {}
    for spec in c.SPECS:
        path = (*spec.path, "show") if len(spec.path) == 1 and spec.path[0] in groups else spec.path
        out[path] = spec
    return out


def options_for(spec: c.CommandSpec) -> list[Option]:
    if spec.request is c.ProfileSet:
        return [_profile_option(name, kind) for name, kind in PROFILE_OPTIONS]
    return [_option(spec, arg) for arg in spec.args]


def _option(spec: c.CommandSpec, arg: c.Arg) -> Option:
    desc = arg.help or DESCRIPTIONS.get(arg.type) or arg.name.replace("_", " ").capitalize()
    annotation: Any = str
    choices: tuple[str, ...] = ()
    auto: str | None = None
    if arg.type in INT_RANGES:
        lo, hi = INT_RANGES[arg.type]
        annotation = app_commands.Range[int, lo, hi]
    elif arg.type == "kind":
        choices = tuple(c.KINDS)
    elif arg.type == "day":
        choices = rules.WEEKDAYS
    elif arg.choices:
        choices = arg.choices
    elif arg.type == "program_tz":
        auto = "timezone"
    elif arg.type == "member":
        auto = "member"
    elif arg.name == "program" or (spec.path[0] == "program" and arg.name == "name" and spec.path[1] != "create"):
        auto = "program"
    elif arg.type == "text":
        annotation = app_commands.Range[str, 1, rules.MAX_NAME if arg.name == "name" else rules.MAX_TEXT]
    return Option(arg.name, annotation, arg.required, desc[:DESCRIPTION_MAX], choices, auto)


def _profile_option(name: str, kind: str) -> Option:
    desc = PROFILE_DESCRIPTIONS[name]
    if kind == "choice":
        return Option(name, str, False, desc, rules.ROLES)
    if kind == "experience":
        return Option(name, app_commands.Range[int, rules.EXPERIENCE.lo, rules.EXPERIENCE.hi], False, desc)
    if kind == "capacity":
        lo, hi = rules.MENTOR_CAPACITY
        return Option(name, app_commands.Range[int, lo, hi], False, desc)
    if kind == "timezone":
        return Option(name, str, False, desc, autocomplete="timezone")
    return Option(name, str, False, desc)


def to_request(spec: c.CommandSpec, values: dict[str, Any], today: dt.date) -> c.Request:
    """Typed options -> the same Request the text parser would build (raises ParseError)."""
    given = {k: str(v) for k, v in values.items() if v is not None}
    if spec.request is c.ProfileSet:
        if not given:
            raise c.ParseError("Tell me which fields to change, e.g. timezone:Europe/Berlin.", spec.usage)
        return c.ProfileSet(values=c.parse_profile_values(given))
    kwargs: dict[str, Any] = {}
    try:
        for arg in spec.args:
            raw = given.get(arg.name)
            if raw is None:
                if arg.required:
                    raise c.ParseError(f"The {arg.name} is missing.")
                continue
            if arg.type == "member" and raw.isdigit():
                raw = f"<@{raw}>"  # an id picked from autocomplete is a mention of that user
            if arg.type == "rest":
                kwargs[arg.name] = raw.lower()
            else:
                kwargs[arg.name] = c.convert_arg(arg, raw, today)
    except c.ParseError as exc:
        raise c.ParseError(exc.message, exc.usage or spec.usage) from None
    return spec.request(**kwargs)


def make_callback(
    name: str, options: list[Option], run: Callable[..., Any]
) -> Callable[..., Any]:
    """A coroutine function whose *signature* describes the options, which is what
    discord.py reads to build the command (it never sees ``**values``)."""

    async def callback(interaction: discord.Interaction[Any], **values: Any) -> None:
        await run(interaction, values)

    params = [
        inspect.Parameter("interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD,
                          annotation=discord.Interaction),
    ]
    ordered = sorted(options, key=lambda o: not o.required)  # Discord: required first
    for o in ordered:
        params.append(
            inspect.Parameter(
                o.name,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=o.annotation,
                default=inspect.Parameter.empty if o.required else None,
            )
        )
    callback.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    callback.__name__ = callback.__qualname__ = f"circle_{name}"
    callback.__discord_app_commands_param_description__ = {  # type: ignore[attr-defined]
        o.name: o.description for o in options
    }
    callback.__discord_app_commands_param_choices__ = {  # type: ignore[attr-defined]
        o.name: [app_commands.Choice(name=ch, value=ch) for ch in o.choices]
        for o in options
        if o.choices
    }
    return callback
