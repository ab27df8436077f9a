"""Buttons, modals, thread replies, the App Home and uninstalls, as Slack delivers them."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from circles.db import unit_of_work
from circles.model import CheckIn, Circle, Profile, ProgramMember, Pulse, Response, Workspace
from circles.usecases import weekly
from tests.fakes.slack.blockkit import all_mrkdwn, pings, text_of
from tests.fakes.slack.harness import SlackHarness


async def post_first_prompt(slack: SlackHarness, db) -> dict[int, tuple[str, str]]:  # type: ignore[no-untyped-def]
    """Week 1's prompt in every circle, sent by the real delivery worker; circle id ->
    (channel, prompt ts)."""
    with unit_of_work(db) as s:
        circles = s.scalars(select(Circle).order_by(Circle.id)).all()
        for circle in circles:
            weekly.post_prompt(s, circle, 1, dt.datetime.now(dt.UTC))
            weekly.request_checkin_and_pulse(s, circle, 1)
    await slack.deliver()
    out = {}
    with db() as s:
        for circle in s.scalars(select(Circle).order_by(Circle.id)):
            prompt = next(m for m in slack.fake.posted(circle.space_id) if m["text"].startswith("Week 1 prompt"))
            out[circle.id] = (circle.space_id, prompt["ts"])
    return out


def buttons_of(message: dict) -> list[dict]:
    return [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]


async def running_round(slack: SlackHarness, db) -> dict[int, tuple[str, str]]:  # type: ignore[no-untyped-def]
    from tests.test_slack_commands import publish_round

    await publish_round(slack)
    return await post_first_prompt(slack, db)


def circle_of(db, user: str) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    with db() as s:
        from circles.model import Member, Membership

        row = s.execute(select(Circle.id, Circle.space_id).join(Membership).join(Member)
                        .where(Member.external_id == user, Membership.active.is_(True))).first()
        assert row is not None
        return row[0], row[1]


async def test_profile_modal_submission_saves_and_answers_privately(slack: SlackHarness, db) -> None:  # type: ignore[no-untyped-def]
    await slack.command('program create "Spring"', user="U_ADMIN")
    joined = await slack.command("join mentor", user="U1")
    view = slack.sim.last_modal()
    assert len(view["title"]["text"]) <= 24
    await slack.submit(view, {"role": "mentor", "experience": "5", "timezone": "Europe/Berlin",
                              "interests": "rust, go", "goals": "mentor well",
                              "offers": "code review", "wants": "public speaking",
                              "availability": "mon 9-12"}, user="U1")
    with db() as s:
        p = s.scalar(select(Profile))
        assert p is not None and p.experience == 5
        assert s.scalar(select(ProgramMember.role)) == "mentor"  # the role in "Spring"
        assert p.interests == ["rust", "go"] and p.skills_offered == ["code review"]
    # the confirmation goes to the same private place the command was typed
    saved = [r for r in slack.fake.responses if "Profile saved" in text_of(r)]
    assert saved and saved[0]["response_type"] == "ephemeral"
    assert joined["response_type"] == "ephemeral"


async def test_a_mistake_in_the_profile_modal_keeps_the_modal_open_with_the_error_by_the_field(
        slack: SlackHarness, db) -> None:  # type: ignore[no-untyped-def]
    await slack.command("join peer", user="U1")
    view = slack.sim.last_modal()
    typed = {"role": "peer", "experience": "3", "timezone": "Mars/Olympus",
             "interests": "R&D, rust", "availability": "mon 9-12"}
    resp = await slack.submit(view, typed, user="U1")
    answer = json.loads(resp.body)
    assert answer["response_action"] == "errors"
    assert set(answer["errors"]) == {"timezone"} and "Mars/Olympus" in answer["errors"]["timezone"]
    with db() as s:  # nothing saved, nothing posted: the person fixes one field and resubmits
        assert s.scalar(select(Profile).where(Profile.timezone == "Mars/Olympus")) is None
    assert not [r for r in slack.fake.responses if "Mars/Olympus" in text_of(r)]
    await slack.submit(view, {**typed, "timezone": "Europe/Berlin"}, user="U1")
    with db() as s:
        p = s.scalar(select(Profile))
        assert p is not None and p.timezone == "Europe/Berlin" and p.interests == ["r&d", "rust"]


async def test_several_mistakes_in_a_modal_are_each_shown_by_their_field(slack: SlackHarness) -> None:
    await slack.command("join peer", user="U1")
    resp = await slack.submit(slack.sim.last_modal(), {
        "role": "peer", "experience": "3", "timezone": "Nowhere/Town",
        "availability": "someday maybe"}, user="U1")
    assert set(json.loads(resp.body)["errors"]) == {"timezone", "availability"}


async def test_prompt_thread_reply_is_recorded_raw_and_shown_escaped(slack: SlackHarness, db) -> None:  # type: ignore[no-untyped-def]
    prompts = await running_round(slack, db)
    cid, channel = circle_of(db, "U1")
    _, ts = prompts[cid]
    await slack.event(slack.sim.thread_reply(channel, ts, "<!channel> I shipped <@U2> it", user="U1"))
    with db() as s:
        assert s.scalar(select(Response.text)) == "<!channel> I shipped <@U2> it"
    confirm = [m for m in slack.fake.posted(channel) if m["ephemeral_to"] == "U1"]
    assert confirm and confirm[-1]["thread_ts"] == ts and "recorded" in text_of(confirm[-1])
    answers = await slack.command("answers", user="U1")
    assert "&lt;!channel&gt; I shipped &lt;@U2&gt; it" in text_of(answers)
    assert not [p for t in all_mrkdwn(answers) for p in pings(t)]


async def test_replies_outside_prompt_threads_and_bot_messages_are_ignored(slack: SlackHarness, db) -> None:  # type: ignore[no-untyped-def]
    await running_round(slack, db)
    cid, channel = circle_of(db, "U1")
    before = len(slack.fake.messages)
    await slack.event(slack.sim.thread_reply(channel, "123.000001", "just chatting", user="U1"))
    bot = slack.sim.thread_reply(channel, "123.000001", "bot says", user="U1")
    bot["event"]["bot_id"] = "B1"
    await slack.event(bot)
    assert len(slack.fake.messages) == before
    with db() as s:
        assert s.scalar(select(Response)) is None


async def test_answer_button_opens_modal_and_submission_is_recorded(slack: SlackHarness, db) -> None:  # type: ignore[no-untyped-def]
    prompts = await running_round(slack, db)
    cid, channel = circle_of(db, "U1")
    prompt = next(m for m in slack.fake.posted(channel) if m["ts"] == prompts[cid][1])
    answer = next(b for b in buttons_of(prompt) if b["text"]["text"] == "Answer")
    await slack.press(answer["action_id"], answer["value"], user="U1", channel=channel)
    view = slack.sim.last_modal()
    assert view["callback_id"] == "circle_form:answer"
    await slack.submit(view, {"answer": "Learned about lifetimes"}, user="U1")
    with db() as s:
        assert s.scalar(select(Response.text)) == "Learned about lifetimes"


async def test_checkin_and_pulse_buttons_with_optional_comment(slack: SlackHarness, db) -> None:  # type: ignore[no-untyped-def]
    await running_round(slack, db)
    cid, channel = circle_of(db, "U1")
    ask = next(m for m in slack.fake.posted(channel) if "check-in" in m["text"])
    labels = [[e["text"]["text"] for e in b["elements"]] for b in ask["blocks"] if b["type"] == "actions"]
    assert labels == [["Yes", "Not yet", "We skipped"], ["1", "2", "3", "4", "5"]]
    yes = buttons_of(ask)[0]
    reply = await slack.press(yes["action_id"], yes["value"], user="U1", channel=channel)
    assert reply["response_type"] == "ephemeral" and reply["replace_original"] is False
    four = next(b for b in buttons_of(ask) if b["text"]["text"] == "4")
    rated = await slack.press(four["action_id"], four["value"], user="U1", channel=channel)
    assert "4/5" in text_of(rated)
    comment = next(b for b in buttons_of(rated) if b["text"]["text"] == "Add a comment")
    await slack.press(comment["action_id"], comment["value"], user="U1", channel=channel,
                      ephemeral=True)
    await slack.submit(slack.sim.last_modal(), {"comment": "Good energy"}, user="U1")
    with db() as s:
        assert s.scalar(select(CheckIn.status)) == "met"
        pulse = s.scalar(select(Pulse))
        assert pulse is not None and pulse.rating == 4 and pulse.comment == "Good energy"


async def test_someone_outside_the_circle_cannot_press_its_buttons(slack: SlackHarness, db) -> None:  # type: ignore[no-untyped-def]
    await running_round(slack, db)
    cid, channel = circle_of(db, "U1")
    ask = next(m for m in slack.fake.posted(channel) if "check-in" in m["text"])
    yes = buttons_of(ask)[0]
    reply = await slack.press(yes["action_id"], yes["value"], user="U_ADMIN", channel=channel)
    assert "not in that circle" in text_of(reply)
    with db() as s:
        assert s.scalar(select(CheckIn)) is None


async def test_app_home_shows_status_and_health_for_coordinators(slack: SlackHarness, db) -> None:  # type: ignore[no-untyped-def]
    await running_round(slack, db)
    await slack.event(slack.sim.event({"type": "app_home_opened", "user": "U1", "tab": "home",
                                       "channel": "D1", "event_ts": "1.1"}))
    home = slack.fake.calls_to("views.publish")[-1].params
    assert home["user_id"] == "U1" and home["view"]["type"] == "home"
    shown = text_of(home["view"])
    assert "My circles" in shown and "Week 1 prompt" in shown and "Circle health" not in shown
    await slack.event(slack.sim.event({"type": "app_home_opened", "user": "U_ADMIN",
                                       "tab": "home", "channel": "D2", "event_ts": "1.2"}))
    assert "Circle health" in text_of(slack.fake.calls_to("views.publish")[-1].params["view"])


async def test_button_in_app_home_answers_by_dm_and_refreshes_home(slack: SlackHarness, db) -> None:  # type: ignore[no-untyped-def]
    await running_round(slack, db)
    await slack.event(slack.sim.event({"type": "app_home_opened", "user": "U1", "tab": "home",
                                       "channel": "D1", "event_ts": "1.1"}))
    home = slack.fake.calls_to("views.publish")[-1].params["view"]
    answer = next(b for b in buttons_of(home) if b["text"]["text"] == "Answer the prompt")
    await slack.press(answer["action_id"], answer["value"], user="U1", home=True)
    await slack.submit(slack.sim.last_modal(), {"answer": "From home"}, user="U1")
    dm = [m for m in slack.fake.messages if slack.fake.channels[m["channel"]].get("is_im")]
    assert dm and "recorded" in text_of(dm[-1])


async def test_expired_trigger_tells_the_user_to_retry(slack: SlackHarness) -> None:
    slack.fake.fail("views.open", "expired_trigger_id")
    reply = await slack.command("join peer", user="U1")
    assert "couldn't open the form" in text_of(reply)
    assert reply["response_type"] == "ephemeral"


@pytest.mark.parametrize("kind", ["app_uninstalled", "tokens_revoked"])
async def test_uninstall_deactivates_the_workspace(slack: SlackHarness, db, kind: str) -> None:  # type: ignore[no-untyped-def]
    await slack.command("status", user="U1")
    event = {"type": kind, "event_ts": "1.1"}
    if kind == "tokens_revoked":
        event["tokens"] = {"oauth": [], "bot": ["UBOT1"]}
    await slack.event(slack.sim.event(event))
    with db() as s:
        ws = s.scalar(select(Workspace).where(Workspace.external_id == "T1"))
        assert ws is not None and not ws.active


async def test_revoking_only_user_tokens_keeps_the_workspace(slack: SlackHarness, db) -> None:  # type: ignore[no-untyped-def]
    await slack.command("status", user="U1")
    await slack.event(slack.sim.event({"type": "tokens_revoked", "event_ts": "1.1",
                                       "tokens": {"oauth": ["U1"], "bot": []}}))
    with db() as s:
        assert s.scalar(select(Workspace.active).where(Workspace.external_id == "T1"))


async def test_a_user_from_another_team_cannot_use_this_install(slack: SlackHarness, db) -> None:  # type: ignore[no-untyped-def]
    slack.fake.add_team("T2", "Other")
    slack.fake.add_user("T2", "UX", "mallory", admin=True)
    await slack.command('program create "Secret"', user="U_ADMIN")
    reply = await slack.command("program list", user="UX", team="T2")
    assert "different Slack workspace" in text_of(reply)
    with db() as s:
        assert s.scalar(select(Workspace).where(Workspace.external_id == "T2")) is None


async def test_an_expired_response_url_falls_back_to_an_ephemeral_message(slack: SlackHarness) -> None:
    slack.fake.hooks_expired = True
    await slack.command("help", user="U1")
    private = [m for m in slack.fake.posted("C_GENERAL") if m["ephemeral_to"] == "U1"]
    assert private and "/circle join" in text_of(private[-1])


async def test_slack_profile_is_looked_up_once_per_user_for_a_while(slack: SlackHarness) -> None:
    for _ in range(3):
        await slack.command("status", user="U1")
    await slack.command("status", user="U2")
    asked = [c.params["user"] for c in slack.fake.calls_to("users.info")]
    assert asked == ["U1", "U2"]


async def test_a_workspace_admin_is_a_coordinator_without_being_added(slack: SlackHarness) -> None:
    reply = await slack.command("health", user="U_ADMIN")
    assert "coordinators" not in text_of(reply)
    assert "coordinators" in text_of(await slack.command("health", user="U1"))


async def test_a_database_failure_is_told_to_the_user_not_swallowed(slack: SlackHarness, db) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    await slack.command("status", user="U1")
    with unit_of_work(db) as s:
        s.execute(text("DROP TABLE goals"))
    reply = await slack.command("goal list", user="U1")
    assert reply["response_type"] == "ephemeral"
    assert "nothing was changed" in text_of(reply)
