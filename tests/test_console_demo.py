"""`circlebot demo` shows a week of the product through the real console wiring: a prompt
posted, answers, a nudge, a check-in with pulse buttons, pulses, the coordinators' digest
and the health report — in that order, as the people involved see them."""

from __future__ import annotations

import pytest

from bot.cli import main


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> str:
    import contextlib
    import io

    out = io.StringIO()
    folder = tmp_path_factory.mktemp("demo")
    with contextlib.redirect_stdout(out), contextlib.chdir(folder):  # its charts are saved here
        assert main(["--database", f"sqlite:///{folder / 'demo.sqlite3'}", "demo"]) == 0
    return out.getvalue()


def test_the_demo_walks_through_a_week_in_order(demo: str) -> None:
    stages = [
        '@you> /circle program create "Peer learning circles"',   # the coordinator sets up
        "== Draft round 1 of \"Peer learning circles\" ==",          # previews
        "== Your new circle ==",                                     # the circle's welcome
        "12 prompts posted",                                         # Monday: the clock moves
        "== Week 1 prompt ==",                                       # the prompt, in the circle
        "Thanks, your answer is recorded.",                          # answers
        "== Your circle is waiting for you ==",                      # Wednesday: the nudge
        "== Week 1 check-in ==",                                     # Friday: the check-in
        "Thanks: you rated week 1 5/5.",                             # a pulse by button
        "Thanks for the comment.",
        "Noted: you met (week 1).",
        "== Weekly circles digest ==",                               # the coordinator's digest
        "== Circle health ==",                                       # and the health report
    ]
    at = 0
    for stage in stages:
        found = demo.find(stage, at)
        assert found >= 0, f"{stage!r} missing (or out of order) after position {at}"
        at = found


def test_the_demo_shows_answers_three_ways_and_a_nudge_for_who_did_not(demo: str) -> None:
    assert "@ana> 1" in demo and "@elif> /reply " in demo and "@ines> /circle answer " in demo
    nudged = demo.split("[DM to @")[1].split("]")[0]
    assert f"@{nudged} doesn't answer yet" in demo


def test_the_health_report_covers_every_program_and_flags_a_hard_week(demo: str) -> None:
    report = demo[demo.rindex("== Circle health =="):]
    circles = [line for line in report.splitlines() if line.startswith(("✅", "⚠️"))]
    kinds = {line.split("(")[1].split(",")[0] for line in circles}
    assert len(circles) >= 6 and kinds == {"peer", "pod", "skill-swap"}, report
    assert any(line.startswith("⚠️") for line in circles)
    assert "last activity 2027-01-08" in report  # the console's week, not the machine's day


def test_the_demo_prints_what_its_spotlight_circle_sees_and_counts_the_rest(demo: str) -> None:
    assert "more messages to the other circles" in demo
    assert "[#peer-learning-circles-r1-c2]" not in demo
    assert "Traceback" not in demo
