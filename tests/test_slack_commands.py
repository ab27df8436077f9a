"""`/circle` in Slack: every subcommand reaches the real CircleBot and answers the right
person, quickly acknowledged, rendered safely."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from circles.model import Goal, Member, Program
from tests.fakes.slack.blockkit import all_mrkdwn, pings, text_of
from tests.fakes.slack.harness import SlackHarness


async def test_help_is_ephemeral_and_lists_commands(slack: SlackHarness) -> None:
    reply = await slack.command("help")
    assert reply["response_type"] == "ephemeral"
    shown = text_of(reply)
    assert "/circle join" in shown and "/circle goal set" in shown


async def test_unknown_subcommand_gets_a_helpful_error(slack: SlackHarness) -> None:
    reply = await slack.command("frobnicate now")
    assert reply["response_type"] == "ephemeral"
    assert "frobnicate" in text_of(reply)


async def test_join_opens_profile_modal_prefilled_with_slack_timezone(slack: SlackHarness) -> None:
    await slack.command('program create "Pods" kind=pod', user="U_ADMIN")  # a role is per program
    reply = await slack.command("join mentee", user="U1")
    view = slack.sim.last_modal()
    assert view["type"] == "modal" and view["callback_id"] == "circle_form:profile"
    fields = {b["block_id"]: b for b in view["blocks"]}
    assert {"role", "interests", "goals", "offers", "wants", "timezone", "availability"} <= set(fields)
    assert fields["timezone"]["element"]["initial_value"] == "Europe/Berlin"
    assert fields["role"]["element"]["initial_option"]["value"] == "mentee"
    assert "Welcome" in text_of(reply)  # the text stays, with a button back to the form
    assert slack.fake.calls_to("views.open")[-1].params["trigger_id"].endswith("trigger")


MEMBERS = ["U1", "U2", "U3", "U4", "U5", "U6"]


async def join_with_profile(slack: SlackHarness, user: str, role: str = "peer") -> None:
    await slack.command(f"join {role}", user=user)
    view = slack.sim.last_modal()
    await slack.submit(view, {"role": role, "experience": "3", "timezone": "Europe/Berlin",
                              "interests": "rust, public speaking", "goals": "give a talk",
                              "availability": "weekdays 9-17"}, user=user)


async def publish_round(slack: SlackHarness) -> dict:
    await slack.command('program create "Spring Circles" size=3', user="U_ADMIN")
    for user in MEMBERS:
        await join_with_profile(slack, user)
    preview = await slack.command("round preview", user="U_ADMIN")
    published = await slack.command("round publish", user="U_ADMIN")
    await slack.deliver()
    return {"preview": preview, "published": published}


async def test_program_create_is_for_coordinators_and_admins_count(slack: SlackHarness) -> None:
    denied = await slack.command('program create "Spring"', user="U1")
    assert "coordinators" in text_of(denied)
    made = await slack.command('program create "Spring" size=4-6', user="U_ADMIN")
    assert made["response_type"] == "in_channel"
    assert 'Created "Spring"' in text_of(made)
    listed = await slack.command("program list", user="U1")
    assert "Spring" in text_of(listed)
    closed = await slack.command("program close Spring", user="U_ADMIN")
    assert "closed" in text_of(closed)
    opened = await slack.command("program open Spring", user="U_ADMIN")
    assert "open" in text_of(opened)
    added = await slack.command('prompt add "What surprised you?"', user="U_ADMIN")
    assert "custom prompt" in text_of(added)


async def test_profile_show_set_and_edit(slack: SlackHarness, db) -> None:  # type: ignore[no-untyped-def]
    await slack.command('program create "Spring"', user="U_ADMIN")
    await join_with_profile(slack, "U1", "mentee")
    shown = await slack.command("profile", user="U1")
    assert "Europe/Berlin" in text_of(shown) and "rust" in text_of(shown)
    await slack.command('profile set interests="go, chess" department=Platform', user="U1")
    shown = await slack.command("profile", user="U1")
    assert "chess" in text_of(shown) and "Platform" in text_of(shown)
    before = len(slack.fake.calls_to("views.open"))
    await slack.command("profile edit", user="U1")
    assert len(slack.fake.calls_to("views.open")) == before + 1
    fields = {b["block_id"]: b for b in slack.sim.last_modal()["blocks"]}
    assert "chess" in fields["interests"]["element"]["initial_value"]


async def test_pause_resume_and_goals(slack: SlackHarness, db) -> None:  # type: ignore[no-untyped-def]
    await slack.command('program create "Spring"', user="U_ADMIN")
    await join_with_profile(slack, "U1")
    until = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    assert f"Paused until {until}" in text_of(await slack.command(f"pause until {until}", user="U1"))
    assert "Welcome back" in text_of(await slack.command("resume", user="U1"))
    set_ = await slack.command(f'goal set "Give a lightning talk" by {until}', user="U1")
    assert "Goal 1 set" in text_of(set_)
    assert "Outline" not in text_of(await slack.command("goal list", user="U1"))
    await slack.command('goal note 1 "Outline written"', user="U1")
    assert "Outline written" in text_of(await slack.command("goal list", user="U1"))
    assert "Goal 1 done" in text_of(await slack.command("goal done 1", user="U1"))
    with db() as s:
        goal = s.scalar(select(Goal))
        assert goal is not None and goal.done


async def test_status_and_coordinators(slack: SlackHarness) -> None:
    status = await slack.command("status", user="U1")
    assert "haven't joined" in text_of(status)
    await slack.command("status", user="U2")  # makes U2 known to the bot
    added = await slack.command("coordinators add <@U2|cy>", user="U_ADMIN")
    assert "now a coordinator" in text_of(added)
    listed = await slack.command("coordinators list", user="U1")
    assert "cy" in text_of(listed)
    # a member made coordinator through Slack can now run coordinator commands
    made = await slack.command('program create "Autumn"', user="U2")
    assert 'Created "Autumn"' in text_of(made)


async def test_full_round_preview_publish_channels_and_end(slack: SlackHarness, db) -> None:  # type: ignore[no-untyped-def]
    got = await publish_round(slack)
    assert "2 circles" in text_of(got["preview"])
    assert [b["type"] for b in got["preview"]["blocks"]].count("actions") == 1
    assert "is live" in text_of(got["published"])
    created = slack.fake.calls_to("conversations.create")
    assert len(created) == 2 and all(c.params["is_private"] in (True, "true", "1") for c in created)
    names = sorted(c.params["name"] for c in created)
    assert names == ["spring-circles-r1-c1", "spring-circles-r1-c2"]
    invited = {u for c in slack.fake.calls_to("conversations.invite") for u in c.params["users"].split(",")}
    assert invited == set(MEMBERS)
    for name in names:
        ch = slack.fake.channel_by_name(name)
        assert ch is not None
        welcome = slack.fake.posted(ch["id"])[0]
        assert "Why you were matched" in text_of(welcome)
        assert set(pings(welcome["text"])) == {f"@{u}" for u in slack.fake.members[ch["id"]]
                                               if u.startswith("U") and not u.startswith("UBOT")}
    health = await slack.command("health", user="U_ADMIN")
    assert "Spring Circles" in text_of(health)
    assert "coordinators" in text_of(await slack.command("health", user="U1"))
    asked = await slack.command("round end", user="U_ADMIN")
    confirm = next(e for b in asked["blocks"] if b["type"] == "actions" for e in b["elements"])
    assert confirm["text"]["text"] == "End the round"
    ended = await slack.press(confirm["action_id"], confirm["value"], user="U_ADMIN", ephemeral=True)
    assert "ended" in text_of(ended)
    await slack.deliver()
    assert all(slack.fake.channel_by_name(n)["is_archived"] for n in names)


async def test_round_move_and_rematch_with_confirm_buttons(slack: SlackHarness, db) -> None:  # type: ignore[no-untyped-def]
    await slack.command('program create "Spring Circles" size=3', user="U_ADMIN")
    for user in MEMBERS:
        await join_with_profile(slack, user)
    await slack.command("round preview", user="U_ADMIN")
    moved = await slack.command("round move <@U1> to 2", user="U_ADMIN")
    assert "to circle 2" in text_of(moved)
    await slack.command("round publish", user="U_ADMIN")
    await slack.deliver()
    asked = await slack.command("rematch <@U1>", user="U_ADMIN")
    buttons = [e for b in asked["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [e["text"]["text"] for e in buttons] == ["Move them", "Cancel"]
    confirm = buttons[0]
    done = await slack.press(confirm["action_id"], confirm["value"], user="U_ADMIN", ephemeral=True)
    assert done["replace_original"] is True  # the question (with its buttons) is replaced
    assert "Moved" in text_of(done)


async def test_leave_asks_to_confirm_and_cancel_changes_nothing(slack: SlackHarness, db) -> None:  # type: ignore[no-untyped-def]
    await slack.command('program create "Spring"', user="U_ADMIN")
    await join_with_profile(slack, "U1")
    asked = await slack.command("leave", user="U1")
    buttons = [e for b in asked["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [e["text"]["text"] for e in buttons] == ["Yes, leave", "Stay"]
    assert buttons[0]["style"] == "danger"
    stay = await slack.press(buttons[1]["action_id"], buttons[1]["value"], user="U1", ephemeral=True)
    assert "Nothing changed" in text_of(stay)
    with db() as s:
        assert s.scalar(select(Member).where(Member.external_id == "U1")).enrolled
    asked = await slack.command("leave", user="U1")
    yes = [e for b in asked["blocks"] if b["type"] == "actions" for e in b["elements"]][0]
    left = await slack.press(yes["action_id"], yes["value"], user="U1", ephemeral=True)
    assert "join` again" in text_of(left)
    with db() as s:
        assert not s.scalar(select(Member).where(Member.external_id == "U1")).enrolled


async def test_answer_answers_checkin_and_pulse_commands(slack: SlackHarness, db) -> None:  # type: ignore[no-untyped-def]
    from tests.test_slack_interactions import post_first_prompt

    await publish_round(slack)
    await post_first_prompt(slack, db)
    assert "recorded" in text_of(await slack.command('answer "I shipped it"', user="U1"))
    answers = await slack.command("answers", user="U1")
    assert "I shipped it" in text_of(answers)
    assert "you met" in text_of(await slack.command("checkin yes", user="U1"))
    pulse = await slack.command('pulse 4 "great week"', user="U1")
    assert "4/5" in text_of(pulse)


async def test_everything_personal_is_ephemeral_and_nothing_pings(slack: SlackHarness) -> None:
    await slack.command('program create "<!channel> party"', user="U_ADMIN")
    for text in ["help", "status", "program list", "goal list", "coordinators list"]:
        reply = await slack.command(text, user="U1")
        assert reply["response_type"] == "ephemeral", text
        assert not [p for t in all_mrkdwn(reply) for p in pings(t)], text
    listed = await slack.command("program list", user="U1")
    assert "&lt;!channel&gt; party" in text_of(listed)


async def test_program_names_are_stored_raw(slack: SlackHarness, db) -> None:  # type: ignore[no-untyped-def]
    await slack.command('program create "<!here> & friends"', user="U_ADMIN")
    with db() as s:
        assert s.scalar(select(Program.name)) == "<!here> & friends"


async def test_say_returns_what_the_member_was_shown(slack: SlackHarness) -> None:
    seen = await slack.say("U1", "help")
    assert "/circle join" in seen.text and seen.ephemeral
