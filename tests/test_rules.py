"""Specs for circles/rules.py: each shared rule, pinned once (and checked where the grammar
and the Discord options build on it, so a copy can't drift again)."""

from __future__ import annotations

import datetime as dt

import pytest

from bot import commands as c
from circles import rules

# ------------------------------------------------------------------------------ pause

UNTIL = dt.date(2026, 12, 31)


def test_paused_through_the_until_date_inclusive() -> None:
    assert rules.is_paused(UNTIL, dt.date(2026, 12, 30))
    assert rules.is_paused(UNTIL, UNTIL)  # still paused ON the until date
    assert not rules.is_paused(UNTIL, dt.date(2027, 1, 1))  # active again the day after


def test_never_paused_is_not_paused() -> None:
    assert not rules.is_paused(None, UNTIL)


# ---------------------------------------------------------------------------- weekdays


def test_weekdays_are_monday_first_like_date_weekday() -> None:
    assert rules.WEEKDAYS == ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    assert rules.WORKDAYS == ("mon", "tue", "wed", "thu", "fri")
    monday = dt.date(2026, 11, 23)
    for i, day in enumerate(rules.WEEKDAYS):
        assert (monday + dt.timedelta(days=i)).strftime("%a").lower() == day


@pytest.mark.parametrize("raw, day", [
    ("mon", "mon"), ("Mon", "mon"), ("MONDAY", "mon"), ("tuesday", "tue"), ("Wed", "wed"),
    ("wednesday", "wed"), ("thu", "thu"), ("Thursday", "thu"), ("fri", "fri"),
    ("saturday", "sat"), ("sun", "sun"), ("Sunday", "sun"),
])
def test_weekday_names_and_abbreviations(raw: str, day: str) -> None:
    assert rules.parse_weekday(raw) == day
    assert c.to_day(raw) == day


@pytest.mark.parametrize("raw", ["", "mo", "tues", "thurs", "someday", "weekdays", "lundi"])
def test_other_words_are_not_weekdays(raw: str) -> None:
    assert rules.parse_weekday(raw) is None
    with pytest.raises(c.ParseError, match="isn't a weekday"):
        c.to_day(raw)


def test_weekday_index_for_stored_and_configured_days_falls_back_to_monday() -> None:
    assert [rules.weekday_index(d) for d in rules.WEEKDAYS] == list(range(7))
    assert rules.weekday_index("Friday") == 4
    assert rules.weekday_index(None) == 0
    assert rules.weekday_index("bogus") == 0
    assert rules.weekday_index("bogus", default=6) == 6


# ------------------------------------------------------------------------------- HH:MM


@pytest.mark.parametrize("raw, stored", [
    ("00:00", "00:00"), ("23:59", "23:59"), ("09:30", "09:30"), ("9:30", "09:30"),
    ("0:00", "00:00"), ("19:05", "19:05"),
])
def test_hhmm_accepted_and_normalised(raw: str, stored: str) -> None:
    assert rules.normalise_hhmm(raw) == stored
    assert c.to_time(raw) == stored
    hh, mm = map(int, stored.split(":"))
    assert rules.parse_hhmm(raw) == dt.time(hh, mm)


@pytest.mark.parametrize("raw", [
    "24:00", "25:00", "23:60", "9:5", "09:5", "9", "0930", "09.30", "09:30:00", " 09:30",
    "09:30 ", "-1:00", "", "ab:cd", "009:30",
])
def test_hhmm_refused(raw: str) -> None:
    with pytest.raises(ValueError):
        rules.parse_hhmm(raw)
    with pytest.raises(c.ParseError, match="24-hour HH:MM"):
        c.to_time(raw)


def test_hhmm_format_always_two_digits() -> None:
    assert rules.format_hhmm(dt.time(9, 5)) == "09:05"


# ------------------------------------------------------------------------------- kinds


def test_circle_kinds() -> None:
    assert rules.KINDS == ("peer", "pod", "mentor_pair", "near_peer", "reverse", "skill_swap",
                           "cross_functional")
    assert {"mentor_pair", "near_peer", "reverse", "skill_swap"} == rules.PAIR_KINDS
    assert {"pod", "mentor_pair", "near_peer", "reverse"} == rules.MENTOR_KINDS
    assert set(rules.KINDS) >= rules.PAIR_KINDS and set(rules.KINDS) >= rules.MENTOR_KINDS


def test_the_grammar_spells_every_kind_with_hyphens_and_nothing_else() -> None:
    assert set(c.KINDS.values()) == set(rules.KINDS)
    assert c.KINDS["mentor-pair"] == "mentor_pair" and c.KINDS["cross-functional"] == "cross_functional"
    assert c.KIND_LABELS["skill_swap"] == "skill-swap"
    for token, kind in c.KINDS.items():
        request = c.parse(f'program create "X" kind={token}')
        assert isinstance(request, c.ProgramCreate) and request.kind == kind
    with pytest.raises(c.ParseError, match="isn't a circle kind"):
        c.parse('program create "X" kind=mentor_pair')  # the stored spelling isn't typed


# ------------------------------------------------------------------------------ limits


def test_text_limit() -> None:
    assert rules.MAX_TEXT == 4000
    assert c.check_text("x" * rules.MAX_TEXT) == "x" * rules.MAX_TEXT
    with pytest.raises(c.ParseError, match="4,001 characters; the limit is 4,000"):
        c.check_text("x" * (rules.MAX_TEXT + 1))


def test_program_names_fit_the_name_column() -> None:
    """With room left for " · circle 9999": its circles' names fit the same column."""
    name = "n" * rules.MAX_PROGRAM_NAME
    assert len(f"{name} · circle 9999") == rules.MAX_NAME
    request = c.parse(f'program create "{name}"')
    assert isinstance(request, c.ProgramCreate) and request.name == name
    with pytest.raises(c.ParseError, match=f"the limit is {rules.MAX_PROGRAM_NAME}"):
        c.parse(f'program create "{name}n"')


@pytest.mark.parametrize("raw, ok", [
    ("2", (2, 2)), ("12", (12, 12)), ("4-6", (4, 6)), ("1", None), ("13", None), ("2-13", None),
    ("6-4", None),
])
def test_circle_size_bounds(raw: str, ok: tuple[int, int] | None) -> None:
    assert rules.CIRCLE_SIZE == (2, 12)
    if ok:
        assert c.to_size(raw) == ok
    else:
        with pytest.raises(c.ParseError, match="circles hold 2 to 12 people"):
            c.to_size(raw)


def test_bounds_are_inclusive() -> None:
    assert 1 in rules.RATING and 5 in rules.RATING
    assert 0 not in rules.RATING and 6 not in rules.RATING
    assert "3" not in rules.RATING


def test_grammar_and_discord_share_the_number_bounds() -> None:
    from adapters.discord.options import INT_RANGES

    assert INT_RANGES["rating"] == tuple(rules.RATING)
    assert {t: tuple(b) for t, (b, _) in c.INT_ARGS.items()} == INT_RANGES
    for type_, (bounds, _) in c.INT_ARGS.items():
        arg = c.Arg("n", type_)
        assert c.convert_arg(arg, str(bounds.lo), None) == bounds.lo
        assert c.convert_arg(arg, str(bounds.hi), None) == bounds.hi
        with pytest.raises(c.ParseError):
            c.convert_arg(arg, str(bounds.hi + 1), None)
