"""`round move` adjusts a draft, and `round preview` keeps the adjustment: forming the draft
again is an explicit choice (`round preview fresh` or Start over). Moves that break the size
bounds are allowed and say so; someone who never joined the program can't be moved in."""

from __future__ import annotations

from sqlalchemy import select

from circles.model import Circle, Member, Membership, Round
from tests.builders import COORD, enrol, ok, person, say


def placement(db) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with db() as session:
        return dict(session.execute(
            select(Member.display_name, Circle.number)
            .join(Membership, Membership.member_id == Member.id)
            .join(Circle, Circle.id == Membership.circle_id)).all())


def draft_with_a_move(bot, db, size: str = "4-5", people: int = 10) -> tuple[str, int]:  # type: ignore[no-untyped-def]
    ok(bot, COORD, f'program create "Spring" size={size}')
    enrol(bot, people)
    ok(bot, COORD, "round preview")
    where = placement(db)
    target = 2 if where["Member0"] == 1 else 1
    ok(bot, COORD, f"round move @Member0 to {target}")
    return "Member0", target


def test_a_preview_after_a_move_shows_the_moved_draft_and_says_how_to_start_over(circlebot, db):
    name, target = draft_with_a_move(circlebot, db)
    moved = placement(db)
    again = ok(circlebot, COORD, "round preview")
    assert placement(db) == moved and moved[name] == target  # the move is kept
    assert "adjusted draft (1 move by hand)" in again.text
    assert "`/circle round preview fresh`" in again.text
    assert [b.label for b in again.buttons] == ["Publish", "Start over"]
    ok(circlebot, COORD, 'round preview seed=7')  # a seed alone doesn't drop the moves either
    assert placement(db) == moved


def test_round_preview_fresh_forms_the_draft_again(circlebot, db):
    draft_with_a_move(circlebot, db)
    fresh = ok(circlebot, COORD, "round preview fresh")
    assert "Adjust with `/circle round move" in fresh.text
    assert [b.label for b in fresh.buttons] == ["Publish", "Reshuffle"]
    with db() as session:
        assert session.scalar(select(Round.moves)) == 0


def test_start_over_button_forms_the_draft_again(circlebot, db):
    draft_with_a_move(circlebot, db)
    start_over = ok(circlebot, COORD, "round preview").buttons[1]
    reply = circlebot.handle_action_sync(COORD, start_over.action, start_over.value)
    assert reply.tone != "error" and "adjusted draft" not in reply.text
    with db() as session:
        assert session.scalar(select(Round.moves)) == 0


def test_a_move_past_the_size_bounds_is_allowed_with_a_warning(circlebot, db):
    ok(circlebot, COORD, 'program create "Spring" size=4-4')
    enrol(circlebot, 8)
    ok(circlebot, COORD, "round preview")
    source = placement(db)["Member0"]
    target = 2 if source == 1 else 1
    reply = say(circlebot, COORD, f"round move @Member0 to {target}")
    assert reply.tone == "warning"
    assert f"circle {target} now has 5 people, above the maximum of 4" in reply.text
    assert f"circle {source} now has 3 people, below the minimum of 4" in reply.text
    assert "That's allowed" in reply.text
    assert placement(db)["Member0"] == target


def test_a_circle_emptied_by_moves_leaves_the_draft(circlebot, db):
    ok(circlebot, COORD, 'program create "Pairs" kind=skill-swap')
    enrol(circlebot, 4)
    ok(circlebot, COORD, "round preview")
    where = placement(db)
    mates = [n for n, c in where.items() if c == 2]
    ok(circlebot, COORD, f"round move @{mates[0]} to 1")
    reply = say(circlebot, COORD, f"round move @{mates[1]} to 1")
    assert "Circle 2 was left empty, so I took it out of the draft" in reply.text
    with db() as session:
        assert session.scalars(select(Circle.number)).all() == [1]


def test_someone_who_never_joined_the_program_cannot_be_moved_in(circlebot, db):
    ok(circlebot, COORD, 'program create "Spring" size=2-3')
    ok(circlebot, COORD, 'program create "Other" size=2-3')
    enrol(circlebot, 4, program="Spring")
    ok(circlebot, person("out", name="Outsider"), 'join program="Other"')
    ok(circlebot, COORD, 'round preview program="Spring"')
    reply = say(circlebot, COORD, 'round move @Outsider to 1 program="Spring"')
    assert reply.tone == "error"
    assert 'Outsider hasn\'t joined "Spring", so they can\'t be moved into its circles' in reply.text
    assert "Outsider" not in placement(db)
