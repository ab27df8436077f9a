"""Value parsers: one raw string in, one checked value out, or a ParseError that says what
to type instead. The rules (weekdays, HH:MM, limits) come from ``circles.rules``; the
wording of the errors lives here."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from bot.commands.errors import ParseError
from bot.commands.requests import MemberRef
from bot.commands.vocab import DAYS, MAX_TEXT, WEIGHT_KEYS
from circles import rules

_MENTION = re.compile(r"^<@!?([A-Za-z0-9]+)(?:\|([^>]*))?>$")


def to_member(raw: str) -> MemberRef:
    m = _MENTION.match(raw)
    if m:
        return MemberRef(external_id=m.group(1), name=m.group(2))
    if raw.startswith("@") and len(raw) > 1:
        return MemberRef(name=raw[1:])
    if re.fullmatch(r"\d{5,25}", raw):  # a bare Discord snowflake from a typed user option
        return MemberRef(external_id=raw)
    raise ParseError(f"I couldn't tell who '{raw}' is. Mention them, like @alice.")


def to_date(raw: str, today: dt.date | None = None) -> dt.date:
    today = today or dt.date.today()
    low = raw.lower()
    if low == "today":
        return today
    if low == "tomorrow":
        return today + dt.timedelta(days=1)
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise ParseError(
            f"I couldn't read '{raw}' as a date. Use YYYY-MM-DD, for example 2026-12-31."
        ) from None


def to_int(raw: str, lo: int, hi: int, what: str) -> int:
    if len(raw.strip().lstrip("+-").lstrip("0")) > 18:  # past any limit, and past int()'s
        raise ParseError(f"That number is {len(raw):,} digits long; {what} is {lo} to {hi}.")
    try:
        value = int(raw)
    except ValueError:
        raise ParseError(f"'{raw}' isn't a whole number; {what} is {lo} to {hi}.") from None
    if not lo <= value <= hi:
        raise ParseError(f"{what.capitalize()} must be from {lo} to {hi}; you gave {value}.")
    return value


def to_size(raw: str) -> tuple[int, int]:
    m = re.fullmatch(r"(\d{1,9})(?:-(\d{1,9}))?", raw)
    if not m:
        raise ParseError(f"I couldn't read size '{raw}'. Use a range like 4-6, or one number like 2.")
    lo = int(m.group(1))
    hi = int(m.group(2) or lo)
    bounds = rules.CIRCLE_SIZE
    if lo < bounds.lo or hi > bounds.hi or lo > hi:
        raise ParseError(
            f"Size {raw} doesn't work: circles hold {bounds.lo} to {bounds.hi} people, smallest first."
        )
    return lo, hi


def to_time(raw: str) -> str:
    try:
        return rules.normalise_hhmm(raw)
    except ValueError:
        raise ParseError(
            f"I couldn't read time '{raw}'. Use 24-hour HH:MM, for example 09:30."
        ) from None


def to_day(raw: str) -> str:
    day = rules.parse_weekday(raw)
    if day is None:
        raise ParseError(f"'{raw}' isn't a weekday. Use one of: {', '.join(DAYS)}.")
    return day


_ZONES: set[str] | None = None


def to_timezone(raw: str, allow_member_local: bool = False) -> str:
    global _ZONES
    if allow_member_local and raw.lower() == "member-local":
        return "member-local"
    if raw.upper() == "UTC":
        return "UTC"
    if _ZONES is None:
        _ZONES = available_timezones()
    if raw not in _ZONES:
        close = difflib.get_close_matches(raw, sorted(_ZONES), n=1)
        hint = f" Did you mean {close[0]}?" if close else ""
        raise ParseError(
            f"'{raw}' isn't an IANA time zone. Use a name like Europe/Berlin or America/New_York.{hint}"
        )
    ZoneInfo(raw)
    return raw


def to_weights(raw: str) -> dict[str, float]:
    """`interests:2,department:-1` → {"interests": 2.0, "department": -1.0}. A negative
    department weight keeps teams together; a positive one mixes them."""
    out: dict[str, float] = {}
    limit = rules.MAX_WEIGHT
    for part in [p.strip() for p in raw.split(",") if p.strip()]:
        key, sep, value = part.partition(":")
        key = key.strip().lower()
        if not sep or key not in WEIGHT_KEYS:
            raise ParseError(f"I couldn't read weight '{part}'. Use name:number with names from "
                             f"{', '.join(WEIGHT_KEYS)}, e.g. weights=interests:2,department:-1.")
        try:
            number = float(value)
        except ValueError:
            raise ParseError(f"'{value}' isn't a number (in weight '{part}').") from None
        if not -limit <= number <= limit:
            raise ParseError(f"Weights go from {-limit:g} to {limit:g}; {key} was {number:g}.")
        out[key] = number
    if not out:
        raise ParseError("Give at least one weight, e.g. weights=interests:2.")
    return out


def refuse_nul(raw: str, what: str = "text") -> str:
    """A NUL character can't be stored (PostgreSQL refuses it in any text column) and no
    person types one on purpose: refuse it before anything reads or stores the text."""
    if "\x00" in raw:
        raise ParseError(f"That {what} contains a NUL character (\\0), which I can't store. "
                         "Nothing was saved: remove it and send it again.")
    return raw


def check_text(raw: str, what: str = "text", limit: int = MAX_TEXT) -> str:
    """Strip, refuse empty, NUL characters, and over ``limit`` characters (saying how
    long it was)."""
    text = refuse_nul(raw, what).strip()
    if not text:
        raise ParseError(f"The {what} is empty.")
    if len(text) > limit:
        raise ParseError(
            f"That {what} is {len(text):,} characters; the limit is {limit:,}. "
            "Nothing was saved: shorten it and send it again."
        )
    return text


def to_list(raw: str) -> list[str]:
    """`Python, python ,  Rust` → ["python", "rust"]: one entry per item whatever its case
    or spacing (a repeated interest would otherwise count twice in matching)."""
    refuse_nul(raw, "list")
    items = (" ".join(p.split()).lower() for p in re.split(r"[,;]", raw))
    return list(dict.fromkeys(i for i in items if i))


def to_availability(raw: str) -> list[list[Any]]:
    """`mon 9-12, wed 14-17, weekdays 9-17` → [["mon", 9, 12], ...] in the member's zone."""
    out: list[list[Any]] = []
    hours = rules.DAY_HOURS
    for part in [p.strip() for p in raw.split(",") if p.strip()]:
        m = re.fullmatch(r"([A-Za-z]+)\s+(\d{1,2})(?::00)?\s*-\s*(\d{1,2})(?::00)?", part)
        if not m:
            raise ParseError(
                f"I couldn't read availability '{part}'. Use day and hours, like 'mon 9-12, wed 14-17' "
                "or 'weekdays 9-17'."
            )
        day, start, end = m.group(1).lower(), int(m.group(2)), int(m.group(3))
        if not (hours.lo <= start < end <= hours.hi):
            raise ParseError(f"Hours in '{part}' must be from {hours.lo} to {hours.hi}, start before end.")
        days = list(rules.WORKDAYS) if day in ("weekdays", "weekday") else [to_day(day)]
        out.extend([d, start, end] for d in days)
    return out
