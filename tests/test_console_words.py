"""Replies speak to people, not programmers: no Python values (`size=(2, 4)`,
`weights={...}`, `None`, `True`), no field names (`mentor_capacity`), no tracebacks, and
plurals and grammar right ("1 circle", never "circle(s)" or "The until is missing.")."""

from __future__ import annotations

import re

import pytest

from bot.core import CircleBot
from bot.replies import Reply
from tests.builders import COORD, enrol, person, say

INTERNALS = [
    (re.compile(r"=\(|=\{|=\["), "a Python value after ="),
    (re.compile(r"\b[a-z]+_[a-z_]+\b"), "an identifier with an underscore"),
    (re.compile(r"\b(None|True|False)\b"), "a Python constant"),
    (re.compile(r"Traceback|Error\(|Exception\b"), "a traceback or exception"),
    (re.compile(r"\(s\)"), "a lazy plural"),
    (re.compile(r"\b1 (circles|members|people|prompts|goals|weeks|days|programs)\b"), "a wrong plural"),
    (re.compile(r"\bThe (until|by|to|new_name)\b"), "an argument's name for a noun"),
]


def words(reply: Reply) -> str:
    parts = [reply.title, reply.text, *(s.title for s in reply.sections),
             *(s.text for s in reply.sections), *(f.label for f in reply.fields),
             *(f.value for f in reply.fields), *(b.label for b in reply.buttons)]
    if reply.form is not None:
        parts += [reply.form.title, *(f.label for f in reply.form.fields)]
    return "\n".join(p for p in parts if p)


def internals(text: str) -> list[str]:
    # a profile's interests and a member's own words are theirs; mentions and code spans
    # (`/circle help option weeks`, `program="Name"`) are commands to type, not prose
    prose = re.sub(r"`[^`]*`", "", text)
    return [f"{why}: {m.group(0)!r}" for pattern, why in INTERNALS for m in pattern.finditer(prose)]


COMMANDS = [
    (COORD, 'program create "Spring circles" kind=peer size=2-4 weeks=8 repeat=2 hours=2'),
    (COORD, 'program create "Pods" kind=pod size=3-4'),
    (COORD, "program list"),
    (COORD, 'program set "Spring circles" size=3-4 weights=interests:2,department:-1'),
    (COORD, 'program set "Spring circles" cadence=biweekly day=tue time=09:30 tz=Europe/Berlin'),
    (COORD, 'program set "Pods" repeat=1'),
    (COORD, 'program close "Pods"'),
    (COORD, 'program open "Pods"'),
    (COORD, 'round preview program="Spring circles"'),
    (COORD, 'round preview program="Spring circles" seed=3'),
    (COORD, 'round publish program="Spring circles"'),
    (COORD, 'health program="Spring circles"'),
    (COORD, 'prompt add "What did you teach someone?" program="Spring circles"'),
    (COORD, 'prompt list program="Spring circles"'),
    (COORD, "coordinators list"),
    (COORD, "status"),
    (COORD, "help"),
    (COORD, "help program set"),
    (COORD, "help options"),
    (COORD, "help kinds"),
]
MEMBER = [
    "profile",
    "profile set capacity=2 role=mentor",
    "profile set experience=4 department=Design avoid=@u1",
    "profile set availability=\"mon 9-12\" timezone=Europe/Berlin",
    "status",
    'goal set "Give a talk" by 2030-01-01',
    'goal note 1 "Outline done"',
    "goal list",
    'goal edit 1 "Give a longer talk"',
    "goal done 1",
    "goal list",
    "answers",
    "checkin yes",
    "pulse 4",
    "pause until 2030-01-01",
    "resume",
    "program list",
]
MISTAKES = [
    'program create "X" size=13', 'program create "X" weeks=0', 'program create "X" weights=foo:1',
    "pause", "pause until yesterday", "goal done 99", "pulse 9", "checkin maybe",
    'program rename "Spring circles"', "round move @nobody to 2", "profile set capacity=99",
    "profile set role=wizard", "profile set colour=blue", "join wizard", "frobnicate",
]


@pytest.fixture
def replies(circlebot: CircleBot) -> list[tuple[str, str]]:
    out = []
    for who, text in COMMANDS[:2]:
        out.append((text, words(say(circlebot, who, text))))
    people = enrol(circlebot, 8, program="Spring circles")
    enrol(circlebot, 4, role="mentee", start=8, program="Pods")
    mentor = person("mentor1")
    say(circlebot, mentor, 'join mentor program="Pods"')
    for who, text in COMMANDS[2:]:
        out.append((text, words(say(circlebot, who, text))))
    for text in MEMBER:
        out.append((text, words(say(circlebot, people[0], text))))
    for text in ["profile", "profile set capacity=2", "status"]:
        out.append((text, words(say(circlebot, mentor, text))))
    for text in MISTAKES:
        out.append((text, words(say(circlebot, COORD, text))))
    return out


def test_no_reply_shows_python_internals_or_broken_grammar(replies: list[tuple[str, str]]) -> None:
    found = {text: bad for text, reply in replies if (bad := internals(reply))}
    assert found == {}


def test_the_sweep_is_strict_enough_to_catch_what_it_looks_for() -> None:
    for bad in ["size=(2, 4)", "weights={'interests': 2}", "Saved: mentor_capacity", "None",
                "1 circles", "circle(s)", "The until is missing.", "Traceback (most recent"]:
        assert internals(bad), bad
    assert internals("Use `size=4-6` or `/circle help option mentor_capacity`") == []


async def test_a_week_in_the_console_reads_as_words(db) -> None:  # type: ignore[no-untyped-def]
    """Everything a console session prints over a week — notices delivered by the worker
    included (welcome, prompt, nudge, check-in, digest) — passes the same sweep."""
    from tests.test_console_clock import Console, start_a_circle

    console = Console(db)
    await start_a_circle(console)
    await console.type("/as you", '/circle program set "Local" hours=2 repeat=1', "/circle program list",
                       "/circle status", "/circle round preview")
    await console.type("/clock +1w")
    await console.type("/as ana", "/circle status", "/circle checkin yes", "/circle pulse 2",
                       '/circle goal set "Ship it"', "/circle goal list", "/circle leave", "2")
    await console.type("/as dee", "/circle join peer", "/cancel", "/circle profile")
    await console.type("/as you", "/circle health", "/circle rematch @ben", "2",
                       "/circle round end", "1")
    printed = console.out.getvalue()
    # the console's own frame (channel names, message refs, where a file was saved: a temporary
    # folder whose random name may hold an underscore) is not prose
    prose = re.sub(r"\[#[\w-]+\]|\(message [\w:]+\)|@[\w.-]+|saved to \S+", "", printed)
    assert internals(prose) == []


async def test_the_console_is_never_told_to_do_what_it_cannot(db) -> None:  # type: ignore[no-untyped-def]
    """The console has no threads (its stand-in is /reply): the circle's welcome and the
    weekly prompt say to press Answer instead of replying in a thread."""
    from tests.test_console_clock import Console, start_a_circle

    console = Console(db)
    await start_a_circle(console)
    welcome = console.out.getvalue().split("== Your new circle ==")[1].split("\n\n")[0]
    assert "answer it with its Answer button or `/circle answer`" in welcome
    assert "thread" not in welcome
    week = await console.type("/clock +2h")
    prompt = week.split("== Week 1 prompt ==")[1].split("[1] Answer")[0]
    assert "Press the Answer button to answer." in prompt and "thread" not in prompt
    out = await console.type("/as ana", "1", "A talk without notes")
    assert "Thanks, your answer is recorded." in out  # and pressing it works
