"""Forms in the console are asked field by field: each answer is checked as it is typed (by
the rules the command behind the form uses), a wrong one is asked again with the reason while
the others are kept, `/cancel` leaves without saving, Enter keeps the old value only where the
prompt says so, and a `/circle` command typed mid-form is run, not swallowed."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from tests.test_console_clock import Console, start_a_circle

PROFILE = ["mentee", "3", "Design", "ux, writing", "leadership", "figma", "sql"]


async def test_a_wrong_field_is_asked_again_with_the_reason_and_the_rest_is_kept(
        db: sessionmaker[Session]) -> None:
    console = Console(db)
    await console.type('/circle program create "Local"')
    out = await console.type("/as maya", "/circle join", *PROFILE, "Mars/Base", "Europe/Berlin",
                             "someday", "weekdays 9-17")
    command_says = (await console.type("/circle profile set timezone=Mars/Base")).strip()
    # the same words the command uses for the same mistake
    assert command_says.splitlines()[0].removeprefix("✗ ") in out
    asked = out.count("Time zone (IANA, e.g. Europe/Berlin)")
    assert asked == 2  # once, and once more after the mistake
    assert "availability" in out.split("someday")[1].split("Weekly availability")[0].lower()
    assert "Profile saved" in out
    profile = await console.type("/circle profile")
    assert "Design" in profile and "ux, writing" in profile and "Europe/Berlin" in profile


async def test_a_choice_outside_the_options_is_asked_again(db: sessionmaker[Session]) -> None:
    console = Console(db)
    await console.type('/circle program create "Local"')
    out = await console.type("/as maya", "/circle join", "wizard", *PROFILE, "Europe/Berlin", "")
    assert "✗ 'wizard' isn't one of peer, mentor, mentee, skill-swap." in out
    assert "Profile saved" in out


async def test_enter_keeps_the_old_value_only_where_the_prompt_offers_it(db: sessionmaker[Session]) -> None:
    console = Console(db)
    await console.type('/circle program create "Local"')
    await console.type("/as maya", "/circle join", *PROFILE, "Europe/Berlin", "weekdays 9-17")
    out = await console.type("/circle profile edit", "", "", "", "", "", "", "", "", "")
    assert "Time zone (IANA, e.g. Europe/Berlin) [Enter to keep: Europe/Berlin]: " in out
    assert "Team or department [Enter to keep: Design]: " in out
    assert "Profile saved" in out
    assert "Design" in await console.type("/circle profile")


async def test_a_required_field_with_nothing_to_keep_is_not_left_empty(db: sessionmaker[Session]) -> None:
    console = Console(db)
    await start_a_circle(console)
    await console.type("/clock +2h")
    out = await console.type("/as ana", "1", "", "I want to give a talk")
    assert "[Enter to keep" not in out  # an answer has no old value to keep
    assert "is required: type a value, or /cancel." in out
    assert "Thanks, your answer is recorded." in out


async def test_cancel_leaves_the_form_unsaved(db: sessionmaker[Session]) -> None:
    console = Console(db)
    await console.type('/circle program create "Local"')
    await console.type("/as maya", "/circle join", *PROFILE, "Europe/Berlin", "weekdays 9-17")
    out = await console.type("/circle profile edit", "peer", "/cancel")
    assert "Your circle profile: not saved." in out
    assert "Role: Mentee" in await console.type("/circle profile")


async def test_a_long_answer_is_refused_in_the_form_like_the_command_refuses_it(
        db: sessionmaker[Session]) -> None:
    console = Console(db)
    await start_a_circle(console)
    await console.type("/clock +2h")
    out = await console.type("/as ana", "1", "x" * 4001, "Short and sweet")
    assert "the limit is 4,000" in out
    assert "Thanks, your answer is recorded." in out
