"""A coordinator exports a program for its evaluation: CSV files of members, rounds, circles,
weekly participation, check-ins, pulse (aggregates only, under the anonymity threshold) and
goals — as a zip in chat, or written to a folder by `circlebot export`."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest

from bot.config import Config
from bot.core import CircleBot
from bot.export_cli import run_export
from tests.builders import COORD, ok, person, post_week, published_round
from tests.test_chart import circle_people

FILES = ["members.csv", "enrolments.csv", "rounds.csv", "circles.csv", "participation.csv",
         "checkins.csv", "pulse_weekly.csv", "pulse_comments.csv", "goals.csv", "survey.csv",
         "survey_suggestions.csv"]


def evaluated_round(bot: CircleBot, db, clock) -> dict[int, list[str]]:  # type: ignore[no-untyped-def]
    """Two circles of four over two weeks. Week 1: all answer, meet, rate 4. Week 2: circle 1
    answers, meets, rates 5 ("great talk"); circle 2 stays silent, three say they didn't
    meet and rate 1 ("too quiet"). u0 sets a goal."""
    published_round(bot, 8, size="4-4")
    people = circle_people(db)
    post_week(bot, 1)
    for ext in people[1] + people[2]:
        ok(bot, person(ext), 'answer "went well"')
        ok(bot, person(ext), "checkin yes")
        ok(bot, person(ext), "pulse 4")
    clock.advance(days=7)
    post_week(bot, 2)
    for ext in people[1]:
        ok(bot, person(ext), 'answer "fine"')
        ok(bot, person(ext), "checkin yes")
        ok(bot, person(ext), 'pulse 5 "great talk"')
    for ext in people[2][:3]:
        ok(bot, person(ext), "checkin not-yet")
        ok(bot, person(ext), 'pulse 1 "too quiet"')
    ok(bot, person("u0"), 'goal set "Give a lightning talk secret-goal-text"')
    return people


def unzip(reply) -> dict[str, list[dict[str, str]]]:  # type: ignore[no-untyped-def]
    [f] = reply.files
    z = zipfile.ZipFile(io.BytesIO(f.data))
    assert z.namelist() == FILES
    return {name: list(csv.DictReader(io.StringIO(z.read(name).decode()))) for name in z.namelist()}


def bot_with(db, clock, threshold: int = 3) -> CircleBot:  # type: ignore[no-untyped-def]
    cfg = Config()
    cfg.bot.coordinators = ["console:acme:coord"]
    cfg.health.min_pulse_respondents = threshold
    return CircleBot(db, cfg, clock=clock)


def test_export_holds_each_table_with_known_values(db, clock):  # type: ignore[no-untyped-def]
    bot = bot_with(db, clock)
    people = evaluated_round(bot, db, clock)
    reply = ok(bot, COORD, "export")
    assert reply.visibility == "ephemeral" and reply.files[0].filename.endswith(".zip")
    assert "participation.csv: 16 rows" in reply.text
    t = unzip(reply)
    assert len(t["members.csv"]) == 8 and {r["display_name"] for r in t["members.csv"]} == {f"U{i}" for i in range(8)}
    assert {(r["role"], r["mentor_capacity"]) for r in t["enrolments.csv"]} == {("peer", "3")}  # per program
    assert [(r["program"], r["round"], r["status"], r["circles"]) for r in t["rounds.csv"]] == [
        ("Spring circles", "1", "active", "2")]
    assert [r["active_members"] for r in t["circles.csv"]] == ["4", "4"]
    part = {(r["circle"], r["display_name"], r["week"]): r for r in t["participation.csv"]}
    assert len(part) == 16
    silent = people[2][0].capitalize()
    assert part[("2", silent, "1")]["answered_prompt"] == "1" and part[("2", silent, "1")]["checkin"] == "met"
    assert part[("2", silent, "2")]["answered_prompt"] == "0" and part[("2", silent, "2")]["checkin"] == "not_yet"
    assert sum(r["answered_prompt"] == "1" for r in t["participation.csv"]) == 12
    assert len(t["checkins.csv"]) == 8 + 4 + 3
    pulse = {(r["circle"], r["week"]): (r["respondents"], r["pulse_avg"], r["shown"]) for r in t["pulse_weekly.csv"]}
    assert pulse == {("1", "1"): ("4", "4.0", "1"), ("1", "2"): ("4", "5.0", "1"),
                     ("2", "1"): ("4", "4.0", "1"), ("2", "2"): ("3", "1.0", "1")}
    assert [r["comment"] for r in t["pulse_comments.csv"]] == ["great talk"] * 4 + ["too quiet"] * 3
    assert [(r["goal"], r["done"], r["notes"]) for r in t["goals.csv"]] == [("1", "0", "0")]


def test_no_individual_pulse_rating_comment_author_or_goal_text_is_exported(db, clock):  # type: ignore[no-untyped-def]
    bot = bot_with(db, clock)
    evaluated_round(bot, db, clock)
    t = unzip(ok(bot, COORD, "export"))
    assert set(t["pulse_weekly.csv"][0]) == {"program", "round", "circle", "week", "respondents", "pulse_avg", "shown"}
    assert set(t["pulse_comments.csv"][0]) == {"program", "round", "circle", "week", "comment"}
    everything = "\n".join(str(rows) for rows in t.values())
    assert "secret-goal-text" not in everything


def test_pulse_aggregates_and_comments_appear_at_n_respondents_and_not_at_n_minus_one(db, clock):  # type: ignore[no-untyped-def]
    bot = bot_with(db, clock, threshold=4)  # circle 2's week 2 has 3 respondents: one short
    evaluated_round(bot, db, clock)
    t = unzip(ok(bot, COORD, "export"))
    pulse = {(r["circle"], r["week"]): (r["respondents"], r["pulse_avg"], r["shown"]) for r in t["pulse_weekly.csv"]}
    assert pulse[("2", "2")] == ("3", "", "0") and pulse[("1", "2")] == ("4", "5.0", "1")
    assert [r["comment"] for r in t["pulse_comments.csv"]] == ["great talk"] * 4


def test_another_workspaces_data_never_appears(db, clock):  # type: ignore[no-untyped-def]
    bot = bot_with(db, clock)
    evaluated_round(bot, db, clock)
    other = person("boss", workspace="globex", is_admin=True)
    ok(bot, other, 'program create "Spring circles" size=3-3')
    globex = [person(f"g{i}", workspace="globex", name=f"Globex{i}") for i in range(3)]
    for who in globex:
        ok(bot, who, "join peer")
    ok(bot, other, "round preview")
    ok(bot, other, "round publish")
    post_week(bot, 1)  # acme's circles have theirs already
    for who in globex:
        ok(bot, who, 'answer "globex answer"')
        ok(bot, who, 'pulse 2 "globex-secret"')
        ok(bot, who, 'goal set "globex goal"')
    t = unzip(ok(bot, COORD, "export"))
    everything = "\n".join(str(rows) for rows in t.values())
    assert "Globex" not in everything and "globex-secret" not in everything
    assert len(t["members.csv"]) == 8 and len(t["circles.csv"]) == 2 and len(t["goals.csv"]) == 1
    theirs = unzip(ok(bot, other, "export"))
    assert len(theirs["members.csv"]) == 3 and "'U0'" not in str(theirs)


def test_export_is_for_coordinators_and_names_an_unknown_program(db, clock):  # type: ignore[no-untyped-def]
    bot = bot_with(db, clock)
    evaluated_round(bot, db, clock)
    assert bot.handle_command_sync(person("u1"), "export").files == []
    refused = bot.handle_command_sync(COORD, 'export program="Autumn"')
    assert refused.tone == "error" and 'no program "Autumn"' in refused.text and refused.files == []


def test_cli_export_writes_the_files_with_progress(db, clock, tmp_path):  # type: ignore[no-untyped-def]
    bot = bot_with(db, clock)
    evaluated_round(bot, db, clock)
    out, err = io.StringIO(), io.StringIO()
    code = run_export(db, bot.config, "Spring circles", str(tmp_path / "eval"), "console:acme",
                      stdout=out, stderr=err)
    assert code == 0, err.getvalue()
    assert sorted(p.name for p in (tmp_path / "eval").iterdir()) == sorted(FILES)
    assert "[5/11] participation.csv" in err.getvalue() and "100%  16 / 16 rows" in err.getvalue()
    assert "Wrote 11 files" in out.getvalue()
    rows = list(csv.DictReader((tmp_path / "eval" / "participation.csv").open()))
    assert len(rows) == 16


def test_cli_export_errors_are_sentences_not_tracebacks(db, clock, tmp_path):  # type: ignore[no-untyped-def]
    bot = bot_with(db, clock)
    evaluated_round(bot, db, clock)
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    for program, folder, workspace, says in [
        ("Autumn", tmp_path / "x", "", 'There is no program "Autumn"'),
        ("", blocker / "sub", "", "can't write the export to"),
        ("", tmp_path / "y", "slack:T9", 'There is no workspace "slack:T9"'),
    ]:
        err = io.StringIO()
        assert run_export(db, bot.config, program, str(folder), workspace, stdout=io.StringIO(), stderr=err) == 1
        assert says in err.getvalue() and "Traceback" not in err.getvalue()


def test_circlebot_export_command_line(tmp_path, capsys):  # type: ignore[no-untyped-def]
    from bot.cli import main

    url = f"sqlite:///{tmp_path / 'c.sqlite3'}"
    assert main(["--database", url, "migrate"]) == 0
    assert main(["--database", url, "export", "--out", str(tmp_path / "out")]) == 1
    assert "no workspaces yet" in capsys.readouterr().err
    cfg = Config()
    cfg.database.url = url
    from bot.bootstrap import build

    app = build(cfg)
    ok(app.bot, person("coord", is_admin=True), 'program create "Spring circles"')
    assert main(["--database", url, "export", "--out", str(tmp_path / "out")]) == 0
    captured = capsys.readouterr()
    assert "[1/11] members.csv" in captured.err and "Wrote 11 files" in captured.out
    assert (Path(tmp_path / "out") / "rounds.csv").read_text().startswith("program,round,status")


async def test_slack_delivers_the_export_zip_privately_to_the_coordinator(slack):  # type: ignore[no-untyped-def]
    from tests.test_slack_commands import publish_round

    await publish_round(slack)
    reply = await slack.command("export", user="U_ADMIN")
    assert reply["response_type"] == "ephemeral"
    fake = slack.fake
    done = fake.calls_to("files.completeUploadExternal")[0]
    assert done.token == fake.teams["T1"].bot_token
    dm = done.params["channel_id"]
    assert fake.channels[dm]["is_im"] and "U_ADMIN" in fake.members[dm]
    [shared] = [m for m in fake.posted(dm) if m.get("files")]
    name = shared["files"][0]["name"]
    assert name.startswith("circles-evaluation-") and name.endswith(".zip")
    data = fake.uploads[shared["files"][0]["id"]]["data"]
    assert "participation.csv" in zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert fake.violations == []


def test_the_pulse_threshold_is_configurable_but_never_below_two(tmp_path):  # type: ignore[no-untyped-def]
    import pytest

    from bot.config import ConfigError, load

    good = tmp_path / "good.toml"
    good.write_text("[health]\nmin_pulse_respondents = 5\n")
    cfg = load(good, environ={})
    assert cfg.health.min_pulse_respondents == 5 and cfg.scheduling.pulse_min_respondents == 5
    bad = tmp_path / "bad.toml"
    bad.write_text("[health]\nmin_pulse_respondents = 1\n")
    with pytest.raises(ConfigError, match="at least 2"):
        load(bad, environ={})


@pytest.mark.parametrize(("answered", "shown"), [(2, False), (3, True)])
def test_the_closing_survey_is_exported_only_where_enough_answered(db, clock, answered, shown):  # type: ignore[no-untyped-def]
    """The survey's figures and its anonymous suggestions appear for a round where at least N
    (3) members answered, and only the number who answered where fewer did."""
    from sqlalchemy import select

    from circles.db import unit_of_work
    from circles.model import Member, Round, SurveyResponse

    bot = bot_with(db, clock)
    evaluated_round(bot, db, clock)
    with unit_of_work(db) as s:
        rnd = s.scalar(select(Round))
        members = s.scalars(select(Member).where(Member.external_id.in_(["u1", "u2", "u3"]))).all()
        for m in members[:answered]:
            s.add(SurveyResponse(workspace_id=rnd.workspace_id, round_id=rnd.id, member_id=m.id,
                                 helped=4, join_again=True, suggestion=f"more pairs {m.external_id}",
                                 goal_outcomes={"1": "met"}))
    t = unzip(ok(bot, COORD, "export"))
    [row] = t["survey.csv"]
    assert (row["respondents"], row["shown"]) == (str(answered), "1" if shown else "0")
    if shown:
        assert (row["helped_avg"], row["join_again_rate"], row["goals_met"]) == ("4.0", "1.0", "3")
        assert len(t["survey_suggestions.csv"]) == 3
    else:
        assert row["helped_avg"] == "" and t["survey_suggestions.csv"] == []
    assert "u1" not in str(t["survey.csv"])  # never attributed
