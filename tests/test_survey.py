"""The closing survey: when a round ends every member is asked, once, whether the circle
helped, whether they'd join again, what should change and how their goals went; the answers
become the round's evaluation in `/circle health rounds`, anonymous and shown only from N
answers."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.core import CircleBot
from bot.presenters import render_payload
from bot.replies import Reply
from circles.db import unit_of_work
from circles.model import Goal, Member, OutboxMessage, Round, SurveyResponse
from circles.survey import survey_results
from circles.usecases import rounds
from tests.builders import COORD, ok, person, published_round, say
from tests.fakes.discord.harness import discord_config
from tests.test_console_clock import Console

PROFILE = '/circle profile set interests="writing, rust" availability="weekdays 9-17"'


def end_round(bot: CircleBot) -> None:
    asked = ok(bot, COORD, "round end")
    confirm = asked.buttons[0]
    assert "ended" in bot.handle_action_sync(COORD, confirm.action, confirm.value).text


def survey_of(bot: CircleBot, user: str) -> Reply:
    """The survey message the delivery worker would send to ``user``, as rendered."""
    with bot.sessions() as s:
        rows = s.scalars(select(OutboxMessage).where(OutboxMessage.key.like("survey:%"),
                                                     OutboxMessage.payload["user"].as_string() == user)
                         ).all()
        assert len(rows) == 1, f"{user} has {len(rows)} surveys"
        return render_payload(rows[0].payload)


def press(bot: CircleBot, who, reply: Reply, label: str) -> Reply:  # type: ignore[no-untyped-def]
    button = next(b for b in reply.buttons if b.label == label)
    return bot.handle_action_sync(who, button.action, button.value)


def fill(bot: CircleBot, who, reply: Reply, values: dict[str, str]) -> Reply:  # type: ignore[no-untyped-def]
    opened = press(bot, who, reply, "Answer everything in a form")
    assert opened.form is not None, opened.text
    return bot.handle_form_sync(who, opened.form.form_id, opened.form.context, values)


# ------------------------------------------------------------------ the survey arrives


async def test_in_the_console_every_member_gets_the_survey_and_answers_it(db: sessionmaker[Session]) -> None:
    console = Console(db)
    t = console.type
    await t('/circle program create "Local" size=2-3')
    for name in ("you", "ana", "ben", "cy"):
        await t(f"/as {name}", "/circle join peer", "/cancel", PROFILE)
    await t("/as ana", '/circle goal set "Give a talk without notes"')
    await t("/as you", "/circle round preview", "/circle round publish")
    ended = await t("/circle round end", "1")
    for name in ("you", "ana", "ben", "cy"):
        assert f"[DM to @{name}]\n== Round 1 of Local has ended ==" in ended
    assert ended.count("[8] Answer everything in a form") == 4
    assert "You had 1 open goal" in ended.split("[DM to @ana]\n== Round 1")[1].split("[DM to")[0]

    helped = await t("/as ana", "4")
    assert "Thanks, your answer for round 1 of Local is noted." in helped
    assert "[1] I'd join again" in helped and "[1] 1\n" not in helped  # what's left stays
    form = await t("3", "", "yes", "More time to talk", "met")
    assert "== Round 1 survey ==" in form and "Goal 1: Give a talk without notes" in form
    assert "Thanks, your answer for round 1 of Local is noted." in form
    with db() as s:
        [row] = s.scalars(select(SurveyResponse)).all()
        assert (row.helped, row.join_again, row.suggestion, row.goal_outcomes) == (
            4, True, "More time to talk", {"1": "met"})
        assert s.scalar(select(Goal.done)), "a goal marked met is done"


def test_one_survey_per_member_per_round_however_the_round_ends(circlebot: CircleBot) -> None:
    people = published_round(circlebot, 8)
    end_round(circlebot)
    with unit_of_work(circlebot.sessions) as s:  # the scheduler's end arriving too: no-op
        rnd = s.scalar(select(Round))
        assert rnd is not None
        rnd.status = "active"
        rounds.end_round(s, rnd, circlebot.clock())
    with circlebot.sessions() as s:
        keys = s.scalars(select(OutboxMessage.key).where(OutboxMessage.key.like("survey:%"))).all()
    assert len(keys) == len(set(keys)) == len(people)  # the coordinator wasn't in a circle
    for who in people:
        assert survey_of(circlebot, who.user).title == 'Round 1 of Spring circles has ended'


# ------------------------------------------------------------------ answering


def test_answering_twice_keeps_the_first_answer_with_the_normal_reply(circlebot: CircleBot) -> None:
    people = published_round(circlebot, 8)
    end_round(circlebot)
    ana = people[0]
    survey = survey_of(circlebot, ana.user)
    first = press(circlebot, ana, survey, "4")
    again = press(circlebot, ana, survey, "2")
    assert again.text == first.text and again.tone == "success"
    joined = press(circlebot, ana, survey, "I'd join again")
    assert press(circlebot, ana, survey, "I wouldn't join again").text == joined.text
    fill(circlebot, ana, survey, {"helped": "1", "join_again": "no", "suggestion": "Fewer prompts"})
    fill(circlebot, ana, survey, {"suggestion": "Something else"})
    with circlebot.sessions() as s:
        [row] = s.scalars(select(SurveyResponse)).all()
    assert (row.helped, row.join_again, row.suggestion) == (4, True, "Fewer prompts")


def test_after_the_window_or_from_another_round_the_answer_is_refused_kindly(
        circlebot: CircleBot, clock) -> None:  # type: ignore[no-untyped-def]
    people = published_round(circlebot, 8)
    end_round(circlebot)
    outsider = person("zed", name="Zed")
    ok(circlebot, outsider, "status")
    survey = survey_of(circlebot, people[0].user)
    notyours = press(circlebot, outsider, survey, "5")
    assert notyours.tone == "error" and "another round" in notyours.text
    with circlebot.sessions() as s:
        ends_on = s.scalar(select(Round.ends_on))
    assert ends_on is not None
    clock.now = dt.datetime.combine(ends_on + dt.timedelta(days=15), dt.time(9), dt.UTC)
    late = press(circlebot, people[0], survey, "5")
    assert late.tone == "error" and "closed on" in late.text and "Thank you" in late.text
    with circlebot.sessions() as s:
        assert s.scalar(select(func.count()).select_from(SurveyResponse)) == 0


# ------------------------------------------------------------------ anonymity threshold


def test_suggestions_and_figures_show_from_n_answers_never_with_names(circlebot: CircleBot) -> None:
    people = published_round(circlebot, 8)
    end_round(circlebot)
    for who, text in zip(people[:2], ("More structure", "Shorter prompts"), strict=True):
        fill(circlebot, who, survey_of(circlebot, who.user),
             {"helped": "5", "join_again": "yes", "suggestion": text})
    at_two = say(circlebot, COORD, "health rounds").plain_text()  # N - 1 = 2 answers
    assert "survey: 2 answers of 8 — results show from 3 answers" in at_two
    assert "More structure" not in at_two and "helped" not in at_two
    fill(circlebot, people[2], survey_of(circlebot, people[2].user),
         {"helped": "2", "join_again": "no", "suggestion": "Pair me with my team"})
    at_three = say(circlebot, COORD, "health rounds").plain_text()
    assert "survey: 3 of 8 answered; helped 4.0/5, would join again 67%" in at_three
    suggestions = at_three.split("What should change (anonymous):")[1]
    assert suggestions.strip().splitlines() == ["• More structure", "• Pair me with my team",
                                                "• Shorter prompts"]  # sorted, not by person
    for who in people:
        assert who.display_name not in at_three


def test_the_threshold_is_configurable_but_never_below_two(circlebot: CircleBot) -> None:
    people = published_round(circlebot, 8)
    end_round(circlebot)
    fill(circlebot, people[0], survey_of(circlebot, people[0].user),
         {"helped": "5", "join_again": "yes", "suggestion": "Keep it"})
    circlebot.config.health.min_pulse_respondents = 1
    assert "results show from 2 answers" in say(circlebot, COORD, "health rounds").plain_text()
    with circlebot.sessions() as s:
        [one] = survey_results(s, 1, None, min_respondents=1)
        assert (one.respondents, one.shown, one.suggestions) == (1, False, [])
    fill(circlebot, people[1], survey_of(circlebot, people[1].user), {"helped": "3"})
    with circlebot.sessions() as s:
        [two] = survey_results(s, 1, None, min_respondents=1)
    assert (two.shown, two.helped_avg, two.suggestions) == (True, 4.0, ["Keep it"])


def test_health_rounds_is_for_coordinators(circlebot: CircleBot) -> None:
    people = published_round(circlebot, 8)
    denied = say(circlebot, people[0], "health rounds")
    assert "coordinators" in denied.text


def test_a_member_forgets_and_the_survey_figures_stay_anonymous(circlebot: CircleBot) -> None:
    people = published_round(circlebot, 8)
    end_round(circlebot)
    for who in people[:3]:
        fill(circlebot, who, survey_of(circlebot, who.user),
             {"helped": "4", "join_again": "yes", "suggestion": f"idea of {who.user}"})
    asked = ok(circlebot, people[0], "forget-me")
    press(circlebot, people[0], asked, "Yes, forget me")
    text = say(circlebot, COORD, "health rounds").plain_text()
    assert "survey: 3 of 8 answered; helped 4.0/5" in text
    assert "idea of u0" not in text and "idea of u1" in text
    with circlebot.sessions() as s:
        assert s.scalar(select(func.count()).select_from(SurveyResponse)
                        .where(SurveyResponse.member_id.is_(None))) == 1
        assert s.scalar(select(Member.id).where(Member.external_id == people[0].user)) is None


# ------------------------------------------------------------------ health rounds, known numbers


def two_rounds(s: Session) -> None:
    """Round 1 (ended): circles of 3. Circle 1: 2 prompts, 4 answers of 6; met in week 1,
    not in week 2; pulses 4, 4, 5 from all three. Circle 2: 1 prompt, 3 answers of 3; met
    in week 1; pulses 1, 1 from only two people (under N = 3, so not counted). Survey: three
    answers (helped 4, 5, 3; join yes, yes, no; goals met, met, progressed; two suggestions).
    Round 2 (active): one circle of the first circle's three; 1 prompt, 1 answer; no check-in."""
    from circles.model import CheckIn, Circle, Membership, PromptPost, Pulse, Response
    from tests.builders import seed_world

    w = seed_world(s, circles=2, size=3, platform="console", workspace="acme")
    r1 = s.get(Round, w.round_id)
    assert r1 is not None
    r1.status = "ended"
    (c1, c2), (m1, m2) = w.circle_ids, w.member_ids
    posts = {}
    for cid, cycle in ((c1, 1), (c1, 2), (c2, 1)):
        posts[cid, cycle] = PromptPost(workspace_id=w.workspace_id, circle_id=cid, cycle=cycle,
                                       prompt_key="bank:x", text="What did you learn?")
    s.add_all(posts.values())
    s.flush()
    answered = [(c1, 1, m1[0]), (c1, 1, m1[1]), (c1, 2, m1[0]), (c1, 2, m1[2]),
                (c2, 1, m2[0]), (c2, 1, m2[1]), (c2, 1, m2[2])]
    s.add_all(Response(workspace_id=w.workspace_id, prompt_post_id=posts[c, k].id, member_id=m,
                       text="an answer") for c, k, m in answered)
    s.add_all([CheckIn(workspace_id=w.workspace_id, circle_id=c1, cycle=1, member_id=m1[0], status="met"),
               CheckIn(workspace_id=w.workspace_id, circle_id=c1, cycle=2, member_id=m1[0], status="not_yet"),
               CheckIn(workspace_id=w.workspace_id, circle_id=c2, cycle=1, member_id=m2[0], status="met")])
    s.add_all(Pulse(workspace_id=w.workspace_id, circle_id=c, cycle=1, member_id=m, rating=r)
              for c, m, r in ((c1, m1[0], 4), (c1, m1[1], 4), (c1, m1[2], 5),
                              (c2, m2[0], 1), (c2, m2[1], 1)))
    s.add_all(SurveyResponse(workspace_id=w.workspace_id, round_id=r1.id, member_id=m, helped=h,
                             join_again=j, suggestion=text, goal_outcomes=goals)
              for m, h, j, text, goals in ((m1[0], 4, True, "More time", {"1": "met"}),
                                           (m1[1], 5, True, "", {"1": "met", "2": "progressed"}),
                                           (m2[0], 3, False, "Smaller circles", {})))
    r2 = Round(workspace_id=w.workspace_id, program_id=w.program_id, number=2, status="active",
               starts_on=r1.ends_on, ends_on=r1.ends_on + dt.timedelta(weeks=6))
    s.add(r2)
    s.flush()
    c3 = Circle(workspace_id=w.workspace_id, round_id=r2.id, number=1, name="Circle 1", kind="peer")
    s.add(c3)
    s.flush()
    s.add_all(Membership(workspace_id=w.workspace_id, circle_id=c3.id, member_id=m) for m in m1)
    post = PromptPost(workspace_id=w.workspace_id, circle_id=c3.id, cycle=1, prompt_key="bank:x",
                      text="What now?")
    s.add(post)
    s.flush()
    s.add(Response(workspace_id=w.workspace_id, prompt_post_id=post.id, member_id=m1[0], text="x"))
    s.add(Member(workspace_id=w.workspace_id, external_id="coord", display_name="Casey",
                 is_coordinator=True))


def test_health_rounds_compares_rounds_with_known_numbers(circlebot: CircleBot) -> None:
    with unit_of_work(circlebot.sessions) as s:
        two_rounds(s)
    text = say(circlebot, COORD, "health rounds").plain_text()
    one, two = text.split("Round 1 (ended")[1].split("Round 2 (running")
    assert "6 members in 2 circles; answers 78%, met 67%, pulse 4.3/5, goals met 2" in one
    assert ("survey: 3 of 6 answered; helped 4.0/5, would join again 67%; goals: met 2, "
            "progressed 1, not yet 0") in one
    assert "• More time\n• Smaller circles" in one
    assert "3 members in 1 circle; answers 33%, met no check-in yet, pulse —, goals met —" in two
    assert "survey: 0 answers of 3 — results show from 3 answers" in two
    assert text.index("Round 1 (ended") < text.index("Round 2 (running")


# ------------------------------------------------------------------ on Slack and Discord


async def test_on_slack_the_survey_comes_by_dm_and_its_modal_is_recorded(slack, db) -> None:  # type: ignore[no-untyped-def]
    from tests.fakes.slack.blockkit import text_of
    from tests.test_slack_commands import publish_round

    await publish_round(slack)
    asked = await slack.command("round end", user="U_ADMIN")
    confirm = next(e for b in asked["blocks"] if b["type"] == "actions" for e in b["elements"])
    await slack.press(confirm["action_id"], confirm["value"], user="U_ADMIN", ephemeral=True)
    await slack.deliver()
    mine = [m for m in slack.fake.posted() if "Round 1 of Spring Circles has ended" in text_of(m)
            and m["channel"].startswith("D") and "U1" in slack.fake.members[m["channel"]]]
    assert len(mine) == 1, [(m["channel"], text_of(m)[:60]) for m in slack.fake.posted()][-12:]
    buttons = {e["text"]["text"]: e for b in mine[0]["blocks"] if b["type"] == "actions"
               for e in b["elements"]}
    four = buttons["4"]
    noted = await slack.press(four["action_id"], four["value"], user="U1", channel=mine[0]["channel"])
    assert "is noted" in text_of(noted)
    form = buttons["Answer everything in a form"]
    await slack.press(form["action_id"], form["value"], user="U1", channel=mine[0]["channel"])
    view = slack.sim.last_modal()
    assert view["callback_id"] == "circle_form:survey" and len(view["title"]["text"]) <= 24
    await slack.submit(view, {"join_again": "no", "suggestion": "Meet in person once"}, user="U1")
    await slack.settled()
    with db() as s:
        [row] = s.scalars(select(SurveyResponse)).all()
    assert (row.helped, row.join_again, row.suggestion) == (4, False, "Meet in person once")


async def test_on_discord_the_survey_buttons_and_modal_work_in_the_dm(discord_fake, db, clock) -> None:  # type: ignore[no-untyped-def]
    from adapters.discord.client import CircleClient
    from adapters.discord.gateway import DiscordGateway
    from bot.delivery import DeliveryWorker
    from circles.model import utcnow
    from tests.builders import Clock
    from tests.fakes.discord.harness import Harness, logged_in
    from tests.fakes.discord.payloads import MANAGE_GUILD
    from tests.test_discord_circles import COORD as BOSS
    from tests.test_discord_circles import PEOPLE, deliver, publish

    fake, config = discord_fake, discord_config()
    core = CircleBot(db, config, clock=clock)
    async with logged_in(CircleClient(core, config)) as client:
        gateway = DiscordGateway(client, config.discord.hub_channel)
        worker = DeliveryWorker(db, {"discord": gateway}, config.scheduling, clock=Clock(utcnow()))
        h = Harness(client, fake)
        await publish(h)
        await deliver(worker, clock)
        asked = await h.slash("round end", user_id=BOSS, permissions=MANAGE_GUILD)
        await h.press(asked.buttons["End the round"], user_id=BOSS, permissions=MANAGE_GUILD)
        await deliver(worker, clock)
        dm = fake.dm_channels[PEOPLE[0]]
        [card] = [m for m in fake.posted(dm)
                  if any(":survey_helped:" in c["custom_id"] for row in m["components"]
                         for c in row["components"])]
        ids = {c["label"]: c["custom_id"] for row in card["components"] for c in row["components"]}
        assert set(ids) >= {"1", "5", "I'd join again", "Answer everything in a form"}
        yes = await h.press(ids["I'd join again"], guild_id=None, channel_id=dm, user_id=PEOPLE[0])
        assert "is noted" in yes.text
        opened = await h.press(ids["Answer everything in a form"], guild_id=None, channel_id=dm,
                               user_id=PEOPLE[0])
        done = await h.submit(opened.modal, {"helped": ["2"], "suggestion": "Less homework"},
                              guild_id=None, channel_id=dm, user_id=PEOPLE[0])
        assert "is noted" in done.text and not done.is_error
    with db() as s:
        [row] = s.scalars(select(SurveyResponse)).all()
    assert (row.helped, row.join_again, row.suggestion) == (2, True, "Less homework")
