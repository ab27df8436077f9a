"""Privacy people can trust: `/circle export-me` hands over everything stored about me,
`/circle forget-me` leaves nothing that names me (every table is searched), and an
uninstalled workspace loses its tokens at once and its data after the grace period, unless it
is reinstalled in time."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import JSON, String, Text, func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.core import CircleBot
from bot.presenters import render_payload
from circles import notices
from circles.db import unit_of_work
from circles.jobs import run_due
from circles.model import (
    Base,
    Credential,
    Member,
    OutboxMessage,
    Profile,
    Pulse,
    Response,
    Workspace,
)
from circles.purge import aware
from tests.builders import COORD, enrol, ok, person, post_week, say
from tests.fakes.discord.harness import discord_config
from tests.test_console_clock import Console

ZELDA = person("UZELDA77", name="Zelda Quintaine")


def found_anywhere(db: sessionmaker[Session], *needles: str) -> list[str]:
    """Every (table.column) in the whole schema whose text or JSON holds one of ``needles``:
    the search a privacy reviewer would run, over every mapped table."""
    hits = []
    with db() as s:
        for table in Base.metadata.sorted_tables:
            cols = [c for c in table.c if isinstance(c.type, String | Text | JSON)]
            for row in s.execute(select(*cols)).all() if cols else []:
                for col, value in zip(cols, row, strict=True):
                    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                    hits += [f"{table.name}.{col.name}: {n}" for n in needles if n in (text or "")]
    return hits


def press(bot: CircleBot, who, reply, label: str):  # type: ignore[no-untyped-def]
    button = next(b for b in reply.buttons if b.label == label)
    return bot.handle_action_sync(who, button.action, button.value)


def busy_member(bot: CircleBot) -> None:
    """Zelda in a running circle with everything a member leaves behind: a profile, a goal,
    an answer, a pulse with a comment, a check-in, another member's "never with" pointing at
    her, and messages queued to her and about her."""
    ok(bot, COORD, 'program create "Spring circles" size=3-3')
    others = enrol(bot, 5)
    ok(bot, ZELDA, "join")
    ok(bot, ZELDA, 'profile set interests="rust, data" department="Quantum Basketry" '
                   'timezone=Europe/Berlin availability="weekdays 9-17"')
    ok(bot, others[4], f"profile set avoid=<@{ZELDA.user}>")
    ok(bot, ZELDA, 'goal set "Ship the zeppelin parser"')
    ok(bot, COORD, "round preview")
    ok(bot, COORD, "round publish")
    post_week(bot, 1)
    ok(bot, ZELDA, 'answer "My secret zeppelin confession"')
    ok(bot, ZELDA, 'pulse 2 "Zelda thinks the circle is slow"')
    ok(bot, ZELDA, "checkin yes")
    with unit_of_work(bot.sessions) as s:  # a goal check waiting in the outbox for her
        me = s.scalar(select(Member).where(Member.external_id == ZELDA.user))
        assert me is not None
        notices.to_member(s, me.workspace_id, me.id, me.external_id, "test:goalcheck",
                          notices.GoalCheck(1, 1, "Ship the zeppelin parser"))


# ------------------------------------------------------------------ export-me


def test_export_me_holds_everything_stored_about_me_and_nothing_of_others(circlebot: CircleBot) -> None:
    busy_member(circlebot)
    reply = say(circlebot, ZELDA, "export-me")
    [file] = reply.files
    assert reply.visibility == "ephemeral"
    assert file.filename.endswith(".json") and file.mime == "application/json"
    data = json.loads(file.data)
    assert data["member"]["external_id"] == ZELDA.user
    assert data["member"]["display_name"] == "Zelda Quintaine"
    assert data["profile"]["department"] == "Quantum Basketry"
    assert [e["program"] for e in data["enrolments"]] == ["Spring circles"]
    assert len(data["memberships"]) == 1 and data["memberships"][0]["active"]
    assert [a["answer"] for a in data["answers"]] == ["My secret zeppelin confession"]
    assert [(p["rating"], p["comment"]) for p in data["pulses"]] == [(2, "Zelda thinks the circle is slow")]
    assert [c["status"] for c in data["checkins"]] == ["met"]
    assert [g["text"] for g in data["goals"]] == ["Ship the zeppelin parser"]
    assert data["survey_answers"] == []
    assert {"key", "notice", "data"} <= set(data["queued_messages"][0])
    assert "Member0" not in file.data.decode()  # the others' data isn't mine


async def test_in_the_console_export_me_saves_the_file_and_says_where(db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    console = Console(db)
    console.session.gateway.files_dir = tmp_path / "files"  # where the console saves files
    await console.type("/as ana", "/circle join peer", "/cancel")
    out = await console.type('/circle goal set "Learn to juggle"', "/circle export-me")
    assert "📎 Your Circlebot data: saved to" in out
    saved = json.loads((tmp_path / "files" / "circlebot-my-data.json").read_text())
    assert saved["member"]["external_id"] == "ana"
    assert [g["text"] for g in saved["goals"]] == ["Learn to juggle"]


# ------------------------------------------------------------------ forget-me


def test_forget_me_asks_first_and_a_cancel_changes_nothing(circlebot: CircleBot) -> None:
    busy_member(circlebot)
    asked = say(circlebot, ZELDA, "forget-me")
    assert asked.tone == "warning" and "can't be undone" in asked.text
    assert "they'll only be told that someone left" in asked.text
    press(circlebot, ZELDA, asked, "Keep my data")
    assert found_anywhere(circlebot.sessions, ZELDA.user, "Zelda Quintaine")


def test_after_forget_me_no_table_holds_anything_that_names_me(circlebot: CircleBot) -> None:
    busy_member(circlebot)
    with circlebot.sessions() as s:
        answers_before = s.scalar(select(func.count()).select_from(Response))
    personal = [ZELDA.user, "Zelda Quintaine", "Quantum Basketry", "zeppelin", "circle is slow"]
    assert len(found_anywhere(circlebot.sessions, *personal)) >= len(personal)
    asked = ok(circlebot, ZELDA, "forget-me")
    done = press(circlebot, ZELDA, asked, "Yes, forget me")
    assert done.tone == "success" and "everything personal about you is deleted" in done.text
    assert found_anywhere(circlebot.sessions, *personal) == []
    again = press(circlebot, ZELDA, asked, "Yes, forget me")  # a double click / replay
    assert again.text == done.text
    assert found_anywhere(circlebot.sessions, *personal) == []
    with circlebot.sessions() as s:
        # the program's totals still add up: the answer and the rating stay, nameless
        assert s.scalar(select(func.count()).select_from(Response)) == answers_before
        assert s.scalar(select(func.count()).select_from(Response).where(Response.text == "")) == 1
        assert s.scalar(select(Pulse.rating).where(Pulse.comment == "")) == 2
        ghost = s.scalar(select(Member).where(Member.display_name == ""))
        assert ghost is not None and ghost.external_id.startswith("forgotten:")
        assert all(ghost.id not in p.never_with for p in s.scalars(select(Profile)))
        left = [render_payload(o.payload) for o in s.scalars(select(OutboxMessage))
                if (o.payload or {}).get("notice") == "SomeoneLeft"]
    assert [r.text for r in left] == ["Someone has left this circle."]


def test_a_stale_forget_button_never_erases_someone_who_came_back(circlebot: CircleBot) -> None:
    busy_member(circlebot)
    asked = ok(circlebot, ZELDA, "forget-me")
    press(circlebot, ZELDA, asked, "Yes, forget me")
    ok(circlebot, ZELDA, "join")  # back, afresh
    ok(circlebot, ZELDA, 'goal set "Start over"')
    stale = press(circlebot, ZELDA, asked, "Yes, forget me")
    assert stale.tone == "error" and "expired" in stale.text
    assert found_anywhere(circlebot.sessions, "Start over")


# ------------------------------------------------------------------ uninstall and purge


async def test_slack_uninstall_reinstall_within_grace_then_purge_after_it(db) -> None:  # type: ignore[no-untyped-def]
    from aiohttp.test_utils import TestServer

    from adapters.slack.runner import http_app
    from tests.fakes.slack.harness import slack_harness
    from tests.test_slack_oauth import install

    slack = await slack_harness(db, oauth=True)
    server = TestServer(http_app(slack.app), host="127.0.0.1")
    await server.start_server()
    try:
        await install(server, "T1")
        await slack.command('program create "Acme circles"', user="U_ADMIN")
        await slack.command("join peer", user="U1")
        await slack.command('goal set "Secret plans of T1"', user="U1")

        await slack.event(slack.sim.event({"type": "app_uninstalled", "event_ts": "1.1"}))
        await slack.event(slack.sim.event({"type": "tokens_revoked", "event_ts": "1.2",
                                           "tokens": {"bot": ["UBOT"]}}))
        with db() as s:
            assert s.scalar(select(Credential)) is None  # the token goes at once
            ws = s.scalar(select(Workspace))
            assert ws is not None and not ws.active and ws.purge_after is not None
            first_date = aware(ws.purge_after)
        now = dt.datetime.now(dt.UTC)
        assert dt.timedelta(days=29) < first_date - now <= dt.timedelta(days=30)

        await install(server, "T1")  # reinstalled within the grace period
        with db() as s:
            ws = s.scalar(select(Workspace))
            assert ws is not None and ws.active and ws.purge_after is None
        assert run_due(db, now + dt.timedelta(days=31), slack.config.scheduling)["purge"] == 0
        assert found_anywhere(db, "Secret plans of T1")

        await slack.event(slack.sim.event({"type": "app_uninstalled", "event_ts": "1.3"}))
        assert run_due(db, now + dt.timedelta(days=29), slack.config.scheduling)["purge"] == 0
        assert found_anywhere(db, "Secret plans of T1")
        assert run_due(db, now + dt.timedelta(days=31), slack.config.scheduling)["purge"] == 1
        assert run_due(db, now + dt.timedelta(days=32), slack.config.scheduling)["purge"] == 0
        assert found_anywhere(db, "T1", "Secret plans", "Acme circles", "U_ADMIN") == []
        with db() as s:
            for table in Base.metadata.sorted_tables:
                assert s.scalar(select(func.count()).select_from(table)) == 0, table.name
    finally:
        await server.close()
        await slack.fake.close()


def test_the_grace_period_is_configurable_and_two_purges_do_the_work_once(circlebot: CircleBot, db) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    from circles.purge import purge_due

    ok(circlebot, person("a", workspace="acme"), 'goal set "acme stays"')
    ok(circlebot, person("b", workspace="globex"), 'goal set "globex goes"')
    circlebot.config.privacy.purge_after_days = 2
    asyncio.run(circlebot.workspace_removed("console", "globex"))
    now = circlebot.clock()
    assert purge_due(db, now + dt.timedelta(days=1)) == 0
    assert [purge_due(db, now + dt.timedelta(days=3)) for _ in range(2)] == [1, 0]
    assert found_anywhere(db, "globex") == [] and found_anywhere(db, "acme stays")


async def test_discord_server_removal_and_return_within_grace(discord_fake, db, clock) -> None:  # type: ignore[no-untyped-def]
    from adapters.discord.client import CircleClient
    from tests.fakes.discord.harness import Harness, logged_in
    from tests.fakes.discord.payloads import guild_create, guild_delete

    fake, config = discord_fake, discord_config()
    core = CircleBot(db, config, clock=clock)
    async with logged_in(CircleClient(core, config)) as client:
        h = Harness(client, fake)
        await h.slash("join", user_id="601")
        state = client._connection
        await h.feed(state.parse_guild_create, guild_create("4000"))
        await h.feed(state.parse_guild_delete, guild_delete("4000"))
        with db() as s:
            ws = s.scalar(select(Workspace))
            assert ws is not None and not ws.active and ws.purge_after is not None
        joined = guild_create("4000")
        del joined["unavailable"]  # a server the bot joins (not one coming back online)
        await h.feed(state.parse_guild_create, joined)
        with db() as s:
            ws = s.scalar(select(Workspace))
            assert ws is not None and ws.active and ws.purge_after is None




# ------------------------------------------------------------------ files on Slack and Discord


async def test_on_slack_export_me_arrives_as_a_file_in_my_dm(slack, db) -> None:  # type: ignore[no-untyped-def]
    from tests.fakes.slack.blockkit import text_of

    await slack.command('goal set "Learn Slack uploads"', user="U1")
    answer = await slack.command("export-me", user="U1")
    assert "Here is everything Circlebot stores about you" in text_of(answer)
    [shared] = [m for m in slack.fake.messages if m.get("files")]
    assert shared["files"][0]["name"] == "circlebot-my-data.json" and shared["channel"].startswith("D")
    assert "U1" in slack.fake.members[shared["channel"]]
    data = json.loads(slack.fake.uploads[shared["files"][0]["id"]]["data"])
    assert data["member"]["external_id"] == "U1"
    assert [g["text"] for g in data["goals"]] == ["Learn Slack uploads"]
    assert [c.method for c in slack.fake.calls if c.method.startswith("files.")] == [
        "files.getUploadURLExternal", "files.completeUploadExternal"]


async def test_on_discord_export_me_is_a_private_attachment(discord_fake, db, clock) -> None:  # type: ignore[no-untyped-def]
    from adapters.discord.client import CircleClient
    from tests.fakes.discord.harness import Harness, logged_in

    fake, config = discord_fake, discord_config()
    core = CircleBot(db, config, clock=clock)
    async with logged_in(CircleClient(core, config)) as client:
        h = Harness(client, fake)
        await h.slash("goal set", {"text": "Learn attachments"}, user_id="601")
        answer = await h.slash("export-me", user_id="601")
    assert answer.ephemeral and not answer.is_error
    [att] = [a for m in answer.messages for a in m.get("attachments") or []]
    assert att["filename"] == "circlebot-my-data.json"
    [data] = fake.files.values()  # the bytes Discord received with the private answer
    assert json.loads(data)["goals"][0]["text"] == "Learn attachments"


def test_the_migration_goes_down_and_up_again(engine) -> None:  # type: ignore[no-untyped-def]
    import sqlalchemy as sa

    from circles.db import downgrade, upgrade

    downgrade(engine, "0004_perf13")
    inspector = sa.inspect(engine)
    assert "survey_responses" not in inspector.get_table_names()
    assert "purge_after" not in {c["name"] for c in inspector.get_columns("workspaces")}
    upgrade(engine)
    assert "survey_responses" in sa.inspect(engine).get_table_names()


def test_two_schedulers_purging_at_once_purge_once(db) -> None:  # type: ignore[no-untyped-def]
    """The leader lock normally keeps a second scheduler away; if two run anyway (split
    brain), the workspace row lock makes one of them find nothing left to do."""
    from concurrent.futures import ThreadPoolExecutor

    from circles.purge import mark_removed, purge_due

    bot = CircleBot(db)
    ok(bot, person("a", workspace="gone"), 'goal set "to be purged"')
    now = dt.datetime(2026, 11, 24, tzinfo=dt.UTC)
    with unit_of_work(db) as s:
        mark_removed(s, "console", "gone", now, 30)
    later = now + dt.timedelta(days=31)
    with ThreadPoolExecutor(2) as pool:
        done = list(pool.map(lambda _: purge_due(db, later), range(2)))
    assert sorted(done) == [0, 1]
    assert found_anywhere(db, "gone", "to be purged") == []


def test_someone_forgotten_before_a_draft_is_published_is_not_in_it(circlebot: CircleBot) -> None:
    ok(circlebot, COORD, 'program create "Spring circles" size=3-3')
    enrol(circlebot, 5)
    ok(circlebot, ZELDA, "join")
    ok(circlebot, ZELDA, 'profile set timezone=Europe/Berlin availability="weekdays 9-17"')
    ok(circlebot, COORD, "round preview")
    press(circlebot, ZELDA, ok(circlebot, ZELDA, "forget-me"), "Yes, forget me")
    published = ok(circlebot, COORD, "round publish")
    assert "is live" in published.text
    with circlebot.sessions() as s:
        creates = s.scalars(select(OutboxMessage).where(OutboxMessage.action == "create_space")).all()
    members = [u for o in creates for u in o.payload["members"]]
    assert len(members) == 5 and not any(u.startswith("forgotten:") for u in members)
    assert found_anywhere(circlebot.sessions, ZELDA.user, "Zelda Quintaine") == []


async def test_on_slack_forget_me_also_drops_the_cached_identity(slack, db) -> None:  # type: ignore[no-untyped-def]
    from tests.fakes.slack.blockkit import text_of

    await slack.command('goal set "Slack secret"', user="U1")
    assert slack.listeners.identities.cached("T1", "U1") is not None
    asked = await slack.command("forget-me", user="U1")
    yes = next(e for b in asked["blocks"] if b["type"] == "actions" for e in b["elements"]
               if e["text"]["text"] == "Yes, forget me")
    done = await slack.press(yes["action_id"], yes["value"], user="U1", ephemeral=True)
    assert "everything personal about you is deleted" in text_of(done)
    assert slack.listeners.identities.cached("T1", "U1") is None
    assert found_anywhere(db, "Slack secret", "U1") == []
