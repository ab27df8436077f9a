"""Many people at once still travel over a few kept-alive connections: every Web API call
and response_url post shares the app's one HTTP session, so under concurrency the fake Slack
sees no more TCP connections than were ever in flight at once, however many bursts come."""

from __future__ import annotations

import asyncio

from tests.fakes.slack.blockkit import text_of
from tests.fakes.slack.harness import SlackHarness

PEOPLE = ["U1", "U2", "U3", "U4", "U5", "U6", "U_ADMIN"]


def requests_seen(slack: SlackHarness) -> int:
    return len(slack.fake.calls) + len(slack.fake.responses)


async def burst(slack: SlackHarness) -> None:
    replies = await asyncio.gather(*(slack.command("help", user=u) for u in PEOPLE * 2))
    assert all("/circle join" in text_of(r) for r in replies)


async def test_bursts_of_people_share_kept_alive_connections(slack: SlackHarness) -> None:
    await slack.command("help", user="U1")  # Bolt's one auth.test (the runner does it at start)
    before, opened = requests_seen(slack), len(slack.fake.peers)
    for _ in range(3):
        await burst(slack)
    sent = requests_seen(slack) - before
    at_once = len(PEOPLE) * 2 + len(PEOPLE)  # the most one burst can have in flight
    assert sent > 2 * at_once
    # a connection per request would be `sent`; a pool never holds more than were busy at once
    assert len(slack.fake.peers) - opened <= at_once


async def test_the_runner_asks_slack_who_we_are_once_before_listening(slack: SlackHarness) -> None:
    from adapters.slack.app import warm_up

    await warm_up(slack.app)
    assert len(slack.fake.calls_to("auth.test")) == 1
    await burst(slack)  # the first acks wait for no auth.test of their own
    assert len(slack.fake.calls_to("auth.test")) == 1
