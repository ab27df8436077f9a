"""Bad input gets a clear, friendly error, shows the right usage, and changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.commands import ParseError, parse
from circles.model import AuditEvent, Goal, Member, Profile, Program, Response
from tests.builders import COORD, ok, person, post_week, published_round, say

ALICE = person("alice")


def _snapshot(db):
    with db() as session:
        return tuple(session.scalar(select(func.count()).select_from(t)) for t in
                     (Member, Profile, Program, Goal, Response, AuditEvent))


@pytest.mark.parametrize("text, expected", [
    ("frobnicate", "I don't know the command 'frobnicate'"),
    ("hepl", "Did you mean `/circle help`?"),
    ("goal", "'goal' needs a subcommand. Try one of: set, done, note, list"),
    ("goal finish 1", "'finish' isn't a goal command"),
    ("pause until tomorrw", "Use YYYY-MM-DD"),
    ("pause", "The date to pause until is missing"),
    ("pulse five", "'five' isn't a whole number"),
    ("pulse 9", "must be from 1 to 5"),
    ("checkin maybe", "Use yes, not-yet or skipped"),
    ('goal set "unclosed', "closing partner"),
    ("join wizard", "'wizard' isn't a valid role"),
    ('program create "X" size=9-3', "smallest first"),
    ('program create "X" day=someday', "isn't a weekday"),
    ('program create "X" time=25:00', "24-hour HH:MM"),
    ('program create "X" tz=Mars/Base', "isn't an IANA time zone"),
    ('program create "X" colour=blue', "'colour' isn't an option here"),
    ("profile set timezone=Europe/Berln", "Did you mean Europe/Berlin?"),
    ("profile set favourite=pizza", "I don't know the profile field 'favourite'"),
    ("profile set availability=mornings", "I couldn't read availability"),
    ("rematch someone", "Mention them, like @alice"),
    ("resume now please", "I didn't expect 'now please' here"),
])
def test_malformed_commands_explain_what_is_wrong(text, expected):
    with pytest.raises(ParseError) as err:
        parse(text)
    assert expected in err.value.message


@pytest.mark.parametrize("text", ["frobnicate", "pause until tomorrw", 'goal set "' + "x" * 4001 + '"',
                                  "profile set timezone=Nowhere/Land", "goal done 3", "checkin yes", "resume",
                                  "rematch @ghost", "health"])
def test_bad_commands_change_nothing(circlebot, db, text):
    ok(circlebot, ALICE, "join")
    before = _snapshot(db)
    reply = say(circlebot, ALICE, text)
    assert reply.tone == "error" and reply.visibility == "ephemeral"
    assert _snapshot(db) == before


def test_usage_is_shown_with_the_error(circlebot):
    reply = say(circlebot, ALICE, "pause until tomorrw")
    assert "Usage: `/circle pause until YYYY-MM-DD`" in reply.text


def test_text_over_4000_characters_is_refused_with_its_length(circlebot):
    reply = say(circlebot, ALICE, 'goal set "' + "x" * 4001 + '"')
    assert reply.tone == "error" and "4,001 characters; the limit is 4,000" in reply.text
    assert "Nothing was saved" in reply.text


def test_a_huge_message_is_refused_before_parsing(circlebot):
    assert say(circlebot, ALICE, "answer " + "y" * 20000).tone == "error"


def test_mass_mentions_are_stored_raw_and_never_become_pings(circlebot, db):
    people = published_round(circlebot, 4, size="4-4")
    post_week(circlebot)
    ok(circlebot, people[0], 'answer "hey <!channel> and @everyone and @here <@U999>"')
    with db() as session:
        assert session.scalar(select(Response.text)) == "hey <!channel> and @everyone and @here <@U999>"
    reply = ok(circlebot, people[1], "answers")
    assert "<!channel>" in reply.text  # raw in the neutral reply …
    assert reply.mentions == []  # … and no intended pings: adapters escape all text


def test_joining_an_unknown_program_lists_the_real_ones(circlebot):
    ok(circlebot, COORD, 'program create "Real one"')
    reply = say(circlebot, ALICE, 'join program="Imaginary"')
    assert reply.tone == "error" and '"Real one"' in reply.text


def test_a_button_with_a_forged_value_is_refused_politely(circlebot):
    import asyncio

    for action, value in [("pulse", "garbage"), ("checkin", "1:2"), ("confirm_leave", "abc"),
                          ("answer", "999999"), ("nonsense", "1")]:
        reply = asyncio.run(circlebot.handle_action(ALICE, action, value))
        assert reply.tone == "error", (action, value)
