"""`/circle help` explains every command, every option and every kind of circle with an
example, and a mistake in one option shows how to type that option, not the whole command."""

from __future__ import annotations

import pytest

from bot import commands as c
from bot.commands.help import KIND_HELP, example_of, options
from circles import rules
from tests.builders import COORD, ok, person, say

ALICE = person("alice")


# ------------------------------------------------------------- the grammar is documented


@pytest.mark.parametrize("spec", c.SPECS, ids=lambda s: s.name)
def test_every_command_has_a_summary_and_an_example_that_parses_to_it(spec: c.CommandSpec) -> None:
    assert spec.summary.strip(), f"/circle {spec.name} has no summary"
    example = example_of(spec)
    assert example, f"/circle {spec.name} takes a required argument but has no example"
    assert example.startswith(f"/circle {spec.name}")
    assert isinstance(c.parse(example.removeprefix("/circle ")), spec.request)


EVERY_OPTION = [(spec.name, arg) for spec in c.SPECS for arg in spec.args if arg.option]


@pytest.mark.parametrize(("command", "arg"), EVERY_OPTION,
                         ids=[f"{s}:{a.name}" for s, a in EVERY_OPTION])
def test_every_option_has_help_and_an_example_that_parses(command: str, arg: c.Arg) -> None:
    name = arg.name
    assert arg.help.strip(), f"option {name}= of /circle {command} has no help"
    assert len(arg.help) <= 100, f"option {name}= help is longer than Discord shows"
    assert arg.example.startswith(f"{name}="), f"option {name}= of /circle {command} has no example"
    c.convert_arg(arg, arg.example.partition("=")[2].strip('"'), None)  # raises if it doesn't parse


def test_every_kind_of_circle_is_explained() -> None:
    assert set(KIND_HELP) == set(rules.KINDS)
    for kind, spelled in c.KIND_LABELS.items():
        assert f"kind={spelled}" in KIND_HELP[kind].example


# ------------------------------------------------------------- what a person reads


def test_top_level_help_says_where_options_and_kinds_are_explained(circlebot) -> None:
    text = ok(circlebot, ALICE, "help").text
    for topic in ("/circle help options", "/circle help option weeks", "/circle help kinds",
                  "/circle help program create"):
        assert topic in text
    assert max(len(line) for line in text.splitlines()) < 200  # no 300-character usage lines


def test_help_for_program_create_explains_each_option_with_an_example(circlebot) -> None:
    text = ok(circlebot, COORD, "help program create").text
    for name in ("kind", "size", "cadence", "day", "time", "tz", "weeks", "repeat", "hours", "weights"):
        arg = options()[name]
        assert f"`{arg.example}`" in text and arg.help in text, name


def test_help_for_one_option_says_what_it_takes_and_who_uses_it(circlebot) -> None:
    reply = ok(circlebot, COORD, "help option weeks")
    assert reply.title == "Option weeks"
    assert "How many weeks a round runs" in reply.text
    assert "1 to 52" in reply.text and "`weeks=8`" in reply.text
    assert "/circle program set" in reply.text
    assert ok(circlebot, COORD, "help weeks").text == reply.text  # "option" may be left out
    for name in ("repeat", "hours", "seed", "weights", "tz", "program"):
        assert "Example" in ok(circlebot, COORD, f"help option {name}").text
    assert "interests, goals, skills" in ok(circlebot, COORD, "help option weights").text


def test_help_kinds_explains_every_kind_with_an_example(circlebot) -> None:
    text = ok(circlebot, ALICE, "help kinds").text
    for spelled in ("peer", "pod", "mentor-pair", "near-peer", "reverse", "skill-swap",
                    "cross-functional"):
        assert f"kind={spelled}" in text
    near = ok(circlebot, ALICE, "help kind near-peer").text
    assert "experience levels apart" in near and "kind=near-peer" in near
    assert ok(circlebot, ALICE, "help reverse").text == ok(circlebot, ALICE, "help kind reverse").text


def test_an_unknown_help_topic_option_or_kind_is_named(circlebot) -> None:
    assert "no option 'wekes'" in say(circlebot, ALICE, "help option wekes").text
    assert "no kind 'trio'" in say(circlebot, ALICE, "help kind trio").text


# ------------------------------------------------------------- usage errors


def test_a_bad_option_shows_how_to_type_that_option_not_the_whole_command(circlebot) -> None:
    reply = say(circlebot, COORD, 'program create "Spring" weeks=many')
    assert reply.tone == "error"
    assert "isn't a whole number" in reply.text
    assert "Usage: `weeks=N (a whole number from 1 to 52), e.g. weeks=8`" in reply.text
    assert "cadence=" not in reply.text and len(reply.text) < 160


def test_a_misspelt_option_gets_a_suggestion_and_a_short_usage(circlebot) -> None:
    reply = say(circlebot, COORD, 'program create "Spring" weigths=interests:2')
    assert "Did you mean weights=?" in reply.text
    assert "`/circle help program create` explains each" in reply.text
    assert 'Usage: `/circle program create "name" [option=value ...]`' in reply.text


def test_a_missing_argument_is_named_in_words(circlebot) -> None:
    assert "The new name is missing." in say(circlebot, COORD, 'program rename "Spring"').text
    assert "The date to pause until is missing." in say(circlebot, ALICE, "pause").text
