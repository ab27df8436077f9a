"""Tenants never leak: every lookup is scoped by workspace."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from circles.model import PromptPost, Workspace
from tests.builders import COORD, ok, person, post_week, published_round, say


def test_a_member_of_another_workspace_cannot_be_found_or_rematched(circlebot):
    published_round(circlebot, 8)
    other_coord = person("coord2", workspace="globex", is_admin=True)
    reply = say(circlebot, other_coord, "rematch @Member0")
    assert reply.tone == "error" and "can't find @Member0 in this workspace" in reply.text
    assert say(circlebot, other_coord, "coordinators add <@u0>").tone == "error"


def test_programs_and_health_are_per_workspace(circlebot):
    published_round(circlebot, 8)
    other_coord = person("coord2", workspace="globex", is_admin=True)
    assert "No programs yet" in ok(circlebot, other_coord, "program list").text
    assert "Spring circles" not in ok(circlebot, other_coord, "health").plain_text()


def test_the_same_user_id_in_two_workspaces_is_two_people(circlebot):
    a = person("u1", workspace="acme")
    b = person("u1", workspace="globex")
    ok(circlebot, a, 'goal set "Acme goal"')
    assert "No goals yet" in ok(circlebot, b, "goal list").text


def test_a_prompt_of_another_workspace_cannot_be_answered(circlebot, db):
    published_round(circlebot, 4, size="4-4")
    post_week(circlebot)
    with db() as session:
        post_id = session.scalar(select(PromptPost.id))
    intruder = person("u0", workspace="globex")
    reply = asyncio.run(circlebot.handle_form(intruder, "answer", str(post_id), {"answer": "hi"}))
    assert reply.tone == "error"


def test_removing_a_workspace_deactivates_only_that_workspace(circlebot, db):
    ok(circlebot, person("a", workspace="acme"), "join")
    ok(circlebot, person("b", workspace="globex"), "join")
    asyncio.run(circlebot.workspace_removed("console", "globex"))
    with db() as session:
        states = dict(session.execute(select(Workspace.external_id, Workspace.active)).all())
    assert states == {"acme": True, "globex": False}


def test_coordinator_rights_do_not_carry_across_workspaces(circlebot):
    ok(circlebot, COORD, 'program create "Acme only"')
    assert say(circlebot, person("coord", workspace="globex"), 'program create "X"').tone == "error"
