"""Hostile input gets a clear message and changes nothing, on every database: NUL bytes
(PostgreSQL can't store them), numbers with thousands of digits (past Python's int limit),
and program names whose circle names would overflow their column."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from circles.model import Circle, Goal, Profile, Program
from tests.builders import COORD, enrol, ok, person, say

ALICE = person("alice")
NUL = "\x00"


@pytest.mark.parametrize("text", [
    f'goal set "ship{NUL}it"',
    f"profile set interests=rust{NUL}go",
    f'program create "Spring{NUL}"',
    f"program close Spr{NUL}ing",
    f"rematch @ali{NUL}ce",
    f"profile set department=Pla{NUL}tform",
])
def test_nul_bytes_anywhere_in_a_command_are_refused_with_a_clear_message(circlebot, db, text):
    ok(circlebot, ALICE, "join")
    ok(circlebot, COORD, 'program create "Spring"')
    reply = say(circlebot, COORD if "program" in text or "rematch" in text else ALICE, text)
    assert reply.tone == "error" and "NUL" in reply.text, reply.text
    with db() as s:
        assert s.scalar(select(func.count()).select_from(Goal)) == 0
        assert s.scalar(select(func.count()).select_from(Program)) == 1
        assert all(NUL not in str(p.interests) + (p.department or "")
                   for p in s.scalars(select(Profile)))


@pytest.mark.parametrize("text", [
    "pulse " + "9" * 5000,
    "profile set experience=" + "1" * 5000,
    'program create "Big" size=' + "4" * 5000,
    'program create "Big" size=4-' + "6" * 5000,
])
def test_numbers_with_thousands_of_digits_get_a_short_clear_answer(circlebot, text):
    ok(circlebot, ALICE, "join")
    reply = say(circlebot, ALICE if "program" not in text else COORD, text)
    assert reply.tone == "error" and len(reply.text) < 400, reply.text[:400]
    assert "went wrong" not in reply.text


def test_a_program_name_whose_circle_names_would_overflow_is_refused_up_front(circlebot, db):
    longest_circle_name = Circle.__table__.c.name.type.length
    too_long = "P" * (longest_circle_name - 3)  # fits Program.name, not "<name> · circle 1"
    refused = say(circlebot, COORD, f'program create "{too_long}" size=2-3')
    assert refused.tone == "error" and "characters" in refused.text
    fits = "P" * (longest_circle_name - len(" · circle 1000"))
    ok(circlebot, COORD, f'program create "{fits}" size=2-3')
    enrol(circlebot, 4)
    ok(circlebot, COORD, "round preview")
    ok(circlebot, COORD, "round publish")
    with db() as s:
        assert all(len(n) <= longest_circle_name for n in s.scalars(select(Circle.name)))
