"""`program delete` asks first (like `rematch` and `leave`), is refused while one of the
program's rounds runs, and removes that program's data in this workspace only."""

from __future__ import annotations

from sqlalchemy import func, select

from circles.model import (
    Circle,
    Goal,
    Membership,
    PairHistory,
    Program,
    ProgramMember,
    Prompt,
    PromptPost,
    Round,
    Workspace,
)
from tests.builders import COORD, enrol, ok, person, post_week, say


def count(db, table, **where) -> int:  # type: ignore[no-untyped-def]
    with db() as s:
        q = select(func.count()).select_from(table)
        for k, v in where.items():
            q = q.where(getattr(table, k) == v)
        return s.scalar(q)


def ended_program(bot, name: str, start: int) -> None:  # type: ignore[no-untyped-def]
    ok(bot, COORD, f'program create "{name}" size=2-2')
    ok(bot, COORD, f'prompt add "What did you learn?" program="{name}"')
    enrol(bot, 4, start=start, program=name)
    ok(bot, COORD, f'round preview program="{name}"')
    ok(bot, COORD, f'round publish program="{name}"')
    post_week(bot)
    asked = ok(bot, COORD, f'round end program="{name}"')
    bot.handle_action_sync(COORD, asked.buttons[0].action, asked.buttons[0].value)


def program_id(db, name: str, workspace: str = "acme") -> int:  # type: ignore[no-untyped-def]
    with db() as s:
        return s.scalar(select(Program.id).join(Workspace, Workspace.id == Program.workspace_id)
                        .where(Program.name == name, Workspace.external_id == workspace))


def test_deleting_a_program_asks_first_and_keep_it_changes_nothing(circlebot, db):
    ended_program(circlebot, "Old", 0)
    asked = ok(circlebot, COORD, 'program delete "Old"')
    assert asked.tone == "warning" and 'Delete "Old" with its 1 past round' in asked.text
    assert [b.label for b in asked.buttons] == ["Delete it", "Keep it"]
    kept = circlebot.handle_action_sync(COORD, asked.buttons[1].action, asked.buttons[1].value)
    assert "Nothing changed" in kept.text
    assert count(db, Program, name="Old") == 1


def test_a_confirmed_delete_removes_that_programs_data_only(circlebot, db):
    ended_program(circlebot, "Old", 0)
    ended_program(circlebot, "Keep", 10)
    other_ws = person("coord", workspace="other", name="Casey", is_admin=True)
    ok(circlebot, other_ws, 'program create "Old"')
    ok(circlebot, person("u0", workspace="other"), "join")
    ok(circlebot, person("u0"), 'goal set "Ship it"')
    old, keep = program_id(db, "Old"), program_id(db, "Keep")
    with db() as s:
        old_rounds = s.scalars(select(Round.id).where(Round.program_id == old)).all()
        keep_circles = s.scalar(select(func.count(Circle.id)).join(Round).where(Round.program_id == keep))
    asked = ok(circlebot, COORD, 'program delete "Old"')
    done = circlebot.handle_action_sync(COORD, asked.buttons[0].action, asked.buttons[0].value)
    assert done.tone == "success" and 'Deleted "Old"' in done.text
    assert count(db, Program, id=old) == 0 and count(db, ProgramMember, program_id=old) == 0
    assert count(db, Prompt, program_id=old) == 0 and count(db, PairHistory, program_id=old) == 0
    with db() as s:
        assert s.scalar(select(func.count(Round.id)).where(Round.id.in_(old_rounds))) == 0
        assert s.scalar(select(func.count(Circle.id)).join(Round).where(Round.program_id == keep)) \
            == keep_circles
        assert s.scalar(select(func.count(PromptPost.id))) > 0  # Keep's posts are still there
        assert s.scalar(select(func.count(Membership.id))) > 0
    assert count(db, Program, id=keep) == 1 and count(db, ProgramMember, program_id=keep) == 4
    assert program_id(db, "Old", "other") is not None  # another workspace's program of that name
    assert count(db, Goal) == 1  # a member's goals are theirs, not the program's
    assert "Old" not in ok(circlebot, COORD, "program list").text


def test_a_program_with_a_running_round_cannot_be_deleted(circlebot, db):
    ok(circlebot, COORD, 'program create "Live" size=2-2')
    enrol(circlebot, 4, program="Live")
    ok(circlebot, COORD, "round preview")
    ok(circlebot, COORD, "round publish")
    refused = say(circlebot, COORD, 'program delete "Live"')
    assert refused.tone == "error"
    assert ('Round 1 of "Live" is running, so the program can\'t be deleted now. End the round '
            'first (`/circle round end program="Live"`), then delete it.') in refused.text
    assert count(db, Program, name="Live") == 1


def test_a_round_published_after_asking_stops_the_delete(circlebot, db):
    ok(circlebot, COORD, 'program create "Live" size=2-2')
    enrol(circlebot, 4, program="Live")
    asked = ok(circlebot, COORD, 'program delete "Live"')
    ok(circlebot, COORD, "round preview")
    ok(circlebot, COORD, "round publish")
    late = circlebot.handle_action_sync(COORD, asked.buttons[0].action, asked.buttons[0].value)
    assert late.tone == "error" and "is running" in late.text
    assert count(db, Program, name="Live") == 1


def test_members_cannot_delete_programs(circlebot, db):
    ok(circlebot, COORD, 'program create "P"')
    assert say(circlebot, person("m"), 'program delete "P"').tone == "error"
    assert count(db, Program) == 1
