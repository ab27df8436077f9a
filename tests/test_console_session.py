"""A recorded console session: a coordinator and three members go through two weeks of
circles in the terminal, with no Slack or Discord token. It reads as the transcript a new
user would see: create, join, preview, move, publish, prompt, answers, nudge, check-in,
pulse, digest, health and the end of the round."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from tests.test_console_clock import Console

PROFILE = "/circle profile set interests=\"writing, rust\" goals=\"public speaking\" availability=\"weekdays 9-17\""


async def test_a_coordinator_and_three_members_spend_two_weeks_in_the_console(db: sessionmaker[Session]) -> None:
    console = Console(db)
    t = console.type
    created = await t('/circle program create "Local circles" size=2-3')
    assert 'Created "Local circles"' in created
    for name in ("you", "ana", "ben", "cy"):
        await t(f"/as {name}", "/circle join peer", "/cancel", PROFILE)

    await t("/as you")
    preview = await t("/circle round preview")
    assert "2 circles. Match score" in preview and "[1] Publish" in preview
    circle_of_ana = 1 if "ana" in preview.split("-- Circle 2 --")[0].split("-- Circle 1 --")[1] else 2
    other = 3 - circle_of_ana
    moved = await t(f"/circle round move @ana to {other}")
    assert f"Moved ana to circle {other} in the draft." in moved
    await t(f"/circle round move @ana to {circle_of_ana}")  # and back: two circles of two
    published = await t("/circle round publish")
    assert "is live: 2 circles" in published
    assert published.count("== Your new circle ==") == 2  # delivered to the console at once

    week1 = await t("/clock 2030-01-07 10:00")
    assert week1.count("== Week 1 prompt ==") == 2
    answered = await t("/as ana", "1", "I want to give a talk without notes")
    assert "Thanks, your answer is recorded." in answered
    await t("/as ben", "/reply Learning Rust, slowly")
    await t("/as cy", '/circle answer "Writing every morning"')
    answers = await t("/as ana", "/circle answers")
    assert "I want to give a talk without notes" in answers

    await t("/as you")
    rest_of_week = await t("/clock +1w")
    # the nudge goes to the one person who hadn't answered (the coordinator, who joined too)
    assert rest_of_week.count("== Your circle is waiting for you ==") == 1
    assert "[DM to @you]\n== Your circle is waiting for you ==" in rest_of_week
    assert "== Week 1 check-in ==" in rest_of_week and "[8] 5" in rest_of_week
    assert "Weekly circles digest" in rest_of_week
    assert "== Week 2 prompt ==" in rest_of_week
    assert "== Week 1 check-in ==" in rest_of_week.split("== Week 2 prompt ==")[0]

    checked = await t("/as ana", "/circle checkin yes")
    assert "Noted: you met" in checked
    pulsed = await t("/circle pulse 5")
    assert "Thanks: you rated week 2 5/5." in pulsed and "[1] Add a comment" in pulsed

    week2 = await t("/as you", "/clock +1w")
    assert "== Week 2 check-in ==" in week2

    health = await t("/circle health")
    assert "== Circle health ==" in health and "**" not in health
    asked = await t("/circle round end")
    assert "[1] End the round" in asked
    ended = await t("1")
    assert "Round 1 ended" in ended and "archived" in ended
    assert "[#local-circles-r1-c1] archived" in ended
