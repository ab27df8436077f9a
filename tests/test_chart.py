"""Coordinators look at a picture of how circles are doing: `/circle health chart` draws answer
rate, meeting rate and pulse per week, with the circles at risk counted underneath, and
delivers it as an image on every platform; the weekly digest carries the same chart."""

from __future__ import annotations

import io
import struct

import matplotlib.image as mpimg
from sqlalchemy import select

from bot.config import Config
from bot.core import CircleBot
from circles.evaluation.privacy_threshold import min_respondents
from circles.evaluation.series import program_series
from circles.model import Circle, Membership, Program
from tests.builders import COORD, ok, person, post_week, published_round

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the PNG's IHDR chunk."""
    assert data[:8] == PNG_SIGNATURE
    return struct.unpack(">II", data[16:24])


def circle_people(db) -> dict[int, list[str]]:  # type: ignore[no-untyped-def]
    """Circle number -> the console users in it (builders name member id k+2 "u{k}")."""
    with db() as session:
        out: dict[int, list[str]] = {}
        for number, mid in session.execute(select(Circle.number, Membership.member_id).join(Membership)
                                           .order_by(Circle.number, Membership.member_id)):
            out.setdefault(number, []).append(f"u{mid - 2}")
    return out


def two_weeks(circlebot: CircleBot, db, clock) -> dict[int, list[str]]:  # type: ignore[no-untyped-def]
    """Two circles of four. Week 1: everyone answers, meets and rates 4. Week 2: circle 1
    answers and rates 5; circle 2 goes silent, says it didn't meet, and three rate it 1."""
    published_round(circlebot, 8, size="4-4")
    people = circle_people(db)
    post_week(circlebot, 1)
    for ext in people[1] + people[2]:
        ok(circlebot, person(ext), 'answer "went well"')
        ok(circlebot, person(ext), "checkin yes")
        ok(circlebot, person(ext), "pulse 4")
    clock.advance(days=7)
    post_week(circlebot, 2)
    for ext in people[1]:
        ok(circlebot, person(ext), 'answer "fine"')
        ok(circlebot, person(ext), "checkin yes")
        ok(circlebot, person(ext), "pulse 5")
    for ext in people[2][:3]:
        ok(circlebot, person(ext), "checkin not-yet")
        ok(circlebot, person(ext), "pulse 1")
    return people


def series_of(db, threshold: int | None = None):  # type: ignore[no-untyped-def]
    with db() as session:
        return program_series(session, session.scalar(select(Program)), threshold)


def test_the_weekly_series_has_known_rates_pulse_and_circles_at_risk(circlebot, db, clock):
    two_weeks(circlebot, db, clock)
    s = series_of(db)
    assert [w.week for w in s.weeks] == [1, 2] and s.round_number == 1 and not s.round_ended
    w1, w2 = s.weeks
    assert (w1.answer_rate, w1.meeting_rate, w1.pulse_avg, w1.at_risk) == (1.0, 1.0, 4.0, 0)
    assert w2.answer_rate == 0.5 and w2.meeting_rate == 0.5
    assert w2.pulse_avg == (4 * 5 + 3 * 1) / 7  # both circles had at least 3 respondents
    assert w2.at_risk == 1  # circle 2: pulse fell from 4.0 to 1.0


def test_pulse_of_a_week_with_fewer_respondents_than_the_threshold_is_left_out(circlebot, db, clock):
    two_weeks(circlebot, db, clock)  # week 2: circle 2 has 3 pulse answers
    at_three = series_of(db, 3).weeks[1]
    at_four = series_of(db, 4).weeks[1]
    assert at_three.pulse_avg == 23 / 7 and at_three.at_risk == 1
    assert at_four.pulse_avg == 5.0 and at_four.at_risk == 0  # circle 2's week is hidden
    assert min_respondents(1) == 2 and min_respondents(None) == 3  # never below 2


def test_health_chart_is_a_png_sized_for_a_phone_with_the_risks_in_words(circlebot, db, clock):
    two_weeks(circlebot, db, clock)
    reply = ok(circlebot, COORD, "health chart")
    assert reply.visibility == "ephemeral"
    assert "In week 2: answer rate 50%, meeting rate 50%" in reply.text and "1 circle at risk" in reply.text
    [chart] = reply.files
    assert chart.filename == "health-spring-circles-round-1.png" and chart.mime == "image/png"
    width, height = png_size(chart.data)
    assert 800 <= width <= 1600 and 400 <= height <= 1200
    assert len(chart.data) < 300_000
    pixels = mpimg.imread(io.BytesIO(chart.data))
    assert pixels.shape[:2] == (height, width)
    assert "1 circle at risk" in chart.alt_text


def test_health_chart_before_any_prompt_says_so_without_an_image(circlebot):
    published_round(circlebot, 8)
    reply = ok(circlebot, COORD, "health chart")
    assert reply.files == [] and "Nothing to chart yet" in reply.text


def test_health_chart_is_for_coordinators_only(circlebot, db, clock):
    two_weeks(circlebot, db, clock)
    reply = circlebot.handle_command_sync(person("u0"), "health chart")
    assert reply.files == [] and "coordinator" in reply.text.lower()


def test_console_saves_the_chart_and_prints_its_path(db, clock, tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    import asyncio

    from adapters.console import adapter
    from adapters.console.adapter import ConsoleSession

    monkeypatch.setattr(adapter, "WORKSPACE", "acme")  # the builders' workspace

    cfg = Config()
    cfg.bot.coordinators = ["console:acme:coord"]
    cfg.evaluation.files_dir = str(tmp_path / "files")
    bot = CircleBot(db, cfg, clock=clock)
    two_weeks(bot, db, clock)
    out = io.StringIO()
    session = ConsoleSession(bot, out, input)
    session.user = "coord"
    asyncio.run(session.handle_line("/circle health chart"))
    saved = tmp_path / "files" / "health-spring-circles-round-1.png"
    assert f"saved to {saved.resolve()}" in out.getvalue()
    assert png_size(saved.read_bytes())[0] >= 800


async def test_slack_uploads_the_chart_to_the_coordinators_dm_with_the_current_api(slack):  # type: ignore[no-untyped-def]
    from tests.test_slack_commands import publish_round

    await publish_round(slack)
    post_week(slack.core, 1)
    await slack.deliver()
    reply = await slack.command("health chart", user="U_ADMIN")
    assert reply["response_type"] == "ephemeral"
    fake = slack.fake
    assert [c.method for c in fake.calls if c.method.startswith("files.")] == [
        "files.getUploadURLExternal", "files.completeUploadExternal"]
    url_call, done = fake.calls_to("files.getUploadURLExternal")[0], fake.calls_to("files.completeUploadExternal")[0]
    assert url_call.token == done.token == fake.teams["T1"].bot_token
    dm = done.params["channel_id"]
    assert fake.channels[dm]["is_im"] and fake.members[dm] == {"U_ADMIN", fake.teams["T1"].bot_user}
    [shared] = [m for m in fake.posted(dm) if m.get("files")]
    assert shared["files"][0]["name"] == "health-spring-circles-round-1.png"
    upload = fake.uploads[shared["files"][0]["id"]]
    assert upload["data"][:8] == PNG_SIGNATURE and upload["alt_txt"].startswith("Health chart of")
    assert fake.violations == []


async def test_discord_sends_the_chart_as_an_attachment_of_the_private_answer(db, clock, monkeypatch):  # type: ignore[no-untyped-def]
    from adapters.discord.client import CircleClient
    from tests.fakes.discord.harness import Harness, fake_discord_api, logged_in
    from tests.fakes.discord.payloads import MANAGE_GUILD

    guild, coordinator = "4000", "600"
    cfg = Config()
    core = CircleBot(db, cfg, clock=clock)
    coord = person(coordinator, guild, "discord", is_admin=True)
    ok(core, coord, 'program create "Spring circles" size=4-4')
    for i in range(4):
        ok(core, person(f"70{i}", guild, "discord"), "join peer")
    ok(core, coord, "round preview")
    ok(core, coord, "round publish")
    post_week(core, 1)
    async with fake_discord_api(monkeypatch) as fake:
        fake.add_guild(guild)
        async with logged_in(CircleClient(core, cfg)) as client:
            answer = await Harness(client, fake).slash("health chart", user_id=coordinator,
                                                       permissions=MANAGE_GUILD)
    assert answer.ephemeral and "Health chart" in answer.text
    [sent] = [m for m in answer.messages if m.get("attachments")]
    assert sent["attachments"][0]["filename"] == "health-spring-circles-round-1.png"
    [upload] = sent["_uploads"]  # what Discord received as files[0]
    assert upload["filename"] == "health-spring-circles-round-1.png"
    assert upload["data"][:8] == PNG_SIGNATURE and upload["description"].startswith("Health chart of")


async def _digest_for_slack_coordinators(slack) -> None:  # type: ignore[no-untyped-def]
    """A published Slack round with a week behind it, and the weekly digest queued for the
    coordinators exactly as the scheduler queues it."""
    from circles.cycle import notify_coordinators, weekly_digest
    from circles.db import unit_of_work
    from circles.model import Workspace
    from tests.test_slack_commands import publish_round

    await publish_round(slack)
    post_week(slack.core, 1)
    with unit_of_work(slack.core.sessions) as session:
        ws = session.scalar(select(Workspace).where(Workspace.external_id == "T1"))
        notify_coordinators(session, ws.id, "digest:2026-11-23", weekly_digest(session, ws.id, slack.core.clock()))


def _digests_and_charts(fake):  # type: ignore[no-untyped-def]
    """The digest messages and the files shared in the coordinator's DM with the bot."""
    dm = next(cid for cid, ch in fake.channels.items()
              if ch.get("is_im") and fake.members[cid] == {"U_ADMIN", fake.teams["T1"].bot_user})
    texts = [m for m in fake.posted(dm) if "Weekly circles digest" in str(m.get("text")) + str(m.get("blocks"))]
    charts = [f["name"] for m in fake.posted(dm) for f in m.get("files") or []]
    return texts, charts


async def test_the_weekly_digest_carries_the_chart_to_each_coordinator(slack):  # type: ignore[no-untyped-def]
    await slack.command("health", user="U_ADMIN")  # Slack admins are remembered as coordinators
    await _digest_for_slack_coordinators(slack)
    await slack.deliver()
    texts, charts = _digests_and_charts(slack.fake)
    assert len(texts) == 1 and charts == ["health-spring-circles-round-1.png"]
    assert slack.fake.violations == []


async def test_a_digest_whose_chart_failed_after_its_text_is_retried_without_a_second_text(slack):  # type: ignore[no-untyped-def]
    await slack.command("health", user="U_ADMIN")
    await _digest_for_slack_coordinators(slack)
    slack.fake.fail("files.completeUploadExternal", "internal_error")  # the text went, the chart didn't
    # the retry looks twice (text sent? chart shared?): a minute apart on real Slack
    slack.fake.limits.per_minute["conversations.history"] = 10
    await slack.deliver()
    texts, charts = _digests_and_charts(slack.fake)
    assert len(texts) == 1 and charts == ["health-spring-circles-round-1.png"]
    assert len(slack.fake.calls_to("files.completeUploadExternal")) == 2


async def test_a_digest_replayed_after_a_crash_posts_neither_text_nor_chart_twice(slack, db):  # type: ignore[no-untyped-def]
    from sqlalchemy import update

    from circles.model import OutboxMessage

    await slack.command("health", user="U_ADMIN")
    await _digest_for_slack_coordinators(slack)
    await slack.deliver()
    with db.begin() as session:  # the worker died after Slack took both, before marking the row sent
        session.execute(update(OutboxMessage).where(OutboxMessage.key.like("digest:%"))
                        .values(status="pending", attempts=1))
    slack.fake.limits.per_minute["conversations.history"] = 10  # two look-ups: a minute apart on Slack
    await slack.deliver()
    texts, charts = _digests_and_charts(slack.fake)
    assert len(texts) == 1 and charts == ["health-spring-circles-round-1.png"]
    assert len(slack.fake.calls_to("files.completeUploadExternal")) == 1


def _digest_reply(db, circlebot, clock):  # type: ignore[no-untyped-def]
    """The digest a coordinator of the two-week world is sent, rendered as the worker does."""
    from bot.presenters import render_payload
    from circles.cycle import weekly_digest
    from circles.notices import to_payload

    two_weeks(circlebot, db, clock)
    with db() as session:
        notice = weekly_digest(session, session.scalar(select(Program.workspace_id)), clock())
    return render_payload(to_payload(notice))


async def test_discord_delivers_the_digest_chart_as_an_attachment_of_the_dm(db, circlebot, clock, monkeypatch):  # type: ignore[no-untyped-def]
    from adapters.discord.client import CircleClient
    from adapters.discord.gateway import DiscordGateway
    from bot.ports import Delivery
    from tests.fakes.discord.harness import fake_discord_api

    reply = _digest_reply(db, circlebot, clock)
    async with fake_discord_api(monkeypatch) as fake:
        fake.add_guild("4000")
        cfg = Config()
        cfg.discord.sync_commands = False
        client = CircleClient(core=None, config=cfg)  # type: ignore[arg-type]  # sends need no core
        await client.login("fake-token")
        try:
            sent = await DiscordGateway(client).dm("4000", "601", reply, delivery=Delivery("digest:x:m1"))
        finally:
            await client.close()
    [msg] = [m for m in fake.posted(fake.dm_channels["601"]) if m["id"] == sent.ref]
    [att] = msg["attachments"]
    assert att["filename"] == "health-spring-circles-round-1.png" and att["description"].startswith("Health chart")
    assert fake.files[att["id"]][:8] == PNG_SIGNATURE


async def test_console_digest_saves_the_chart_beside_the_message(db, circlebot, clock, tmp_path):  # type: ignore[no-untyped-def]
    from adapters.console.adapter import ConsoleGateway

    reply = _digest_reply(db, circlebot, clock)
    lines: list[str] = []
    await ConsoleGateway(lines.append, files_dir=tmp_path).dm("acme", "coord", reply)
    saved = tmp_path / "health-spring-circles-round-1.png"
    assert "Weekly circles digest" in lines[0] and f"saved to {saved.resolve()}" in lines[0]
    assert saved.read_bytes()[:8] == PNG_SIGNATURE
