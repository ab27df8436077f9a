"""Journeys that used to go wrong for members and coordinators (issue 11), each told as the
person would see it."""

from __future__ import annotations

from sqlalchemy import select

from circles.model import Member, Profile
from tests.builders import COORD, ok, person, post_week, published_round, say

ALICE = person("alice")


def test_a_closed_program_refuses_a_join_that_names_it(circlebot):
    ok(circlebot, COORD, 'program create "Spring"')
    ok(circlebot, COORD, 'program create "Autumn"')
    ok(circlebot, COORD, 'program close "Spring"')
    reply = say(circlebot, ALICE, 'join peer program="Spring"')
    assert reply.tone == "error"
    assert '"Spring" is closed for enrolment right now' in reply.text
    assert ok(circlebot, ALICE, 'join peer program="Autumn"')


def test_answer_from_someone_with_no_circle_says_they_have_no_circle(circlebot):
    ok(circlebot, COORD, 'program create "Spring"')
    ok(circlebot, ALICE, "join peer")
    reply = say(circlebot, ALICE, 'answer "I learned a lot"')
    assert reply.tone == "error" and "not in an active circle" in reply.text


def test_checkin_accepts_not_yet_in_two_words_and_no_means_you_did_not_meet(circlebot):
    people = published_round(circlebot, 4)
    post_week(circlebot)
    assert "you haven't met yet" in ok(circlebot, people[0], "checkin not yet").text
    assert "didn't meet this week" in ok(circlebot, people[0], "checkin no").text
    bad = say(circlebot, people[0], "checkin maybe")
    assert '"not yet" and "no", for didn\'t meet, work too' in bad.text


def test_interests_are_kept_once_whatever_their_case(circlebot, db):
    ok(circlebot, COORD, 'program create "Spring"')
    ok(circlebot, ALICE, "join peer")
    ok(circlebot, ALICE, 'profile set interests="Python, python ,  Rust,RUST"')
    with db() as session:
        profile = session.scalar(select(Profile).join(Member, Member.id == Profile.member_id)
                                 .where(Member.external_id == "alice"))
        assert profile.interests == ["python", "rust"]


def test_round_end_asks_first_and_keep_it_running_changes_nothing(circlebot):
    published_round(circlebot, 8)
    asked = ok(circlebot, COORD, "round end")
    assert 'End round 1 of "Spring circles" now? Its 2 circles stop getting prompts' in asked.text
    end, keep = asked.buttons
    assert (end.label, keep.label) == ("End the round", "Keep it running")
    assert "Nothing changed" in circlebot.handle_action_sync(COORD, keep.action, keep.value).text
    assert "no active round" not in say(circlebot, COORD, "health").text
    asked = ok(circlebot, COORD, "round end")
    member = person("u1")
    assert circlebot.handle_action_sync(member, asked.buttons[0].action, asked.buttons[0].value).tone == "error"
    done = circlebot.handle_action_sync(COORD, asked.buttons[0].action, asked.buttons[0].value)
    assert "Round 1 ended" in done.text
    again = circlebot.handle_action_sync(COORD, asked.buttons[0].action, asked.buttons[0].value)
    assert again.tone == "error"


# --- words a person understands --------------------------------------------------------


def test_program_set_says_what_changed_in_words_not_python(circlebot):
    ok(circlebot, COORD, 'program create "Spring"')
    text = ok(circlebot, COORD, 'program set "Spring" size=2-4 weights=interests:2 weeks=6').text
    assert "circle size 2-4" in text and "matching weights interests 2" in text
    assert "round length 6 weeks" in text
    assert "(2, 4)" not in text and "{" not in text and "=" not in text


def test_profile_set_names_fields_as_a_person_would(circlebot):
    ok(circlebot, COORD, 'program create "Pods" kind=pod')
    ok(circlebot, ALICE, "join mentor")
    text = ok(circlebot, ALICE, "profile set capacity=2 offers=sql").text
    assert text.startswith("Saved your mentor capacity and skills you offer.")
    assert "mentor_capacity" not in text and "skills_offered" not in text


def test_counts_read_as_english(circlebot):
    people = published_round(circlebot, 4)
    asked = ok(circlebot, COORD, "round end")
    assert "Its 1 circle stops" in asked.text and "(s)" not in asked.text
    ok(circlebot, people[0], 'goal set "Give a talk"')
    ok(circlebot, people[0], 'goal note 1 "Outline written"')
    assert "1 note, latest" in ok(circlebot, people[0], "goal list").text
    assert "The date to pause until is missing." in say(circlebot, ALICE, "pause").text


def test_a_preview_says_what_its_score_means(circlebot):
    ok(circlebot, COORD, 'program create "Spring" size=4-4')
    for i in range(8):
        ok(circlebot, person(f"p{i}"), "join peer")
    text = ok(circlebot, COORD, "round preview").plain_text()
    assert "2 circles. Match score" in text and "the higher, the more the members share" in text
    assert "total score" not in text


# --- everyday commands -----------------------------------------------------------------


def test_goals_can_be_edited_and_deleted(circlebot):
    ok(circlebot, ALICE, 'goal set "Give a talk"')
    ok(circlebot, ALICE, 'goal set "Learn Rust"')
    assert "Goal 1 is now by 2027-03-01: Give a talk at the all-hands" in ok(
        circlebot, ALICE, 'goal edit 1 "Give a talk at the all-hands" by 2027-03-01').text
    assert "Deleted goal 2: Learn Rust" in ok(circlebot, ALICE, "goal delete 2").text
    listed = ok(circlebot, ALICE, "goal list").text
    assert "Give a talk at the all-hands (by 2027-03-01)" in listed and "Rust" not in listed
    assert "You have no goal 2" in say(circlebot, ALICE, "goal delete 2").text


def test_custom_prompts_can_be_listed_and_removed(circlebot):
    ok(circlebot, COORD, 'program create "Spring"')
    assert "no custom prompts" in ok(circlebot, COORD, "prompt list").text
    ok(circlebot, COORD, 'prompt add "What did you teach someone?"')
    ok(circlebot, COORD, 'prompt add "What surprised you?"')
    listed = ok(circlebot, COORD, "prompt list").text
    assert "1. What did you teach someone?\n2. What surprised you?" in listed
    assert 'Removed custom prompt 1 from "Spring"' in ok(circlebot, COORD, "prompt remove 1").text
    assert "1. What surprised you?" in ok(circlebot, COORD, "prompt list").text
    assert "its custom prompts are 1 to 1" in say(circlebot, COORD, "prompt remove 5").text
    assert say(circlebot, ALICE, "prompt list").tone == "error"  # coordinators only


def test_a_program_can_be_renamed_but_not_onto_another(circlebot):
    ok(circlebot, COORD, 'program create "Spring"')
    ok(circlebot, COORD, 'program create "Autumn"')
    assert 'Renamed "Spring" to "Spring 2027"' in ok(
        circlebot, COORD, 'program rename "Spring" to "Spring 2027"').text
    assert "Spring 2027" in ok(circlebot, COORD, "program list").text
    assert "already exists" in say(circlebot, COORD, 'program rename "Autumn" to "spring 2027"').text


def test_coordinators_can_be_removed_but_never_the_last(circlebot):
    ok(circlebot, COORD, 'program create "Spring"')
    ok(circlebot, ALICE, "join peer")
    ok(circlebot, COORD, "coordinators add @Alice")
    assert "Alice is no longer a coordinator." in ok(circlebot, COORD, "coordinators remove @Alice").text
    assert "isn't a coordinator" in say(circlebot, COORD, "coordinators remove @Alice").text
    last = say(circlebot, COORD, f"coordinators remove @{COORD.display_name}")
    assert last.tone == "error" and "is the only coordinator, so they stay one" in last.text
