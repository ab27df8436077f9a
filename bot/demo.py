"""`circlebot demo`: the whole product in one command, on a throwaway workspace.

Seeds ~40 realistic members, runs three programs of different kinds through a published
round and a simulated week (prompts, answers, check-ins, pulses, goals), delivers the outbox
to the console, and prints the coordinator's health report. Everything goes through the same
CircleBot entry points an adapter uses, so the demo exercises the real paths.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

from bot.config import Config
from bot.core import CircleBot
from bot.ports import Identity
from bot.replies import Reply
from circles.db import unit_of_work
from circles.usecases.lookup import undelivered
from circles.usecases.weekly import start_week_now

if TYPE_CHECKING:
    from bot.delivery import DeliveryWorker

Render = Callable[[Reply], str]
# Given the worker's clock: a delivery worker writing to a local console gateway, and the
# list of texts it wrote. The composition root builds both; the demo only drives them.
Outlet = Callable[[Callable[[], dt.datetime]], "tuple[DeliveryWorker, list[str]]"]

FIRST = ["Ana", "Ben", "Chidi", "Dana", "Elif", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kemi",
         "Luca", "Maya", "Nikhil", "Olga", "Priya", "Quinn", "Rosa", "Sami", "Tariq", "Uma", "Viktor",
         "Wen", "Ximena", "Yusuf", "Zoe", "Amara", "Bruno", "Carmen", "Dmitri", "Esther", "Felix",
         "Giulia", "Hassan", "Ivy", "Jamal", "Kaito", "Lena", "Mateo", "Noor", "Oscar", "Paula"]
DEPARTMENTS = ["engineering", "design", "product", "data", "marketing", "sales", "people", "finance"]
INTERESTS = ["public speaking", "leadership", "system design", "rust", "python", "ux research",
             "data visualisation", "negotiation", "writing", "career growth", "machine learning",
             "product strategy", "accessibility", "mentoring", "remote work"]
SKILLS = ["sql", "figma", "python", "presenting", "hiring", "roadmapping", "testing", "kubernetes",
          "copywriting", "analytics", "budgeting", "facilitation"]
ZONES = [("Europe/Berlin", "weekdays 9-17"), ("Europe/London", "weekdays 9-17"),
         ("America/New_York", "weekdays 9-17"), ("Asia/Kolkata", "weekdays 10-18")]
ANSWERS = ["I finally gave the team demo I'd been putting off — nervous, but it went well.",
           "Blocked on getting review time; I'll ask for a standing slot.",
           "I want to be able to lead a design review without notes.",
           "Learned that I learn best by teaching. Writing this helped!",
           "Small win: automated the weekly report, saved two hours.",
           "Still figuring out where the time for learning goes each week."]

COORDINATOR = Identity("console", "demo", "coordinator", "Coordinator Casey", is_admin=True)


def _person(rng: random.Random, i: int) -> tuple[Identity, str]:
    name = FIRST[i % len(FIRST)]
    who = Identity("console", "demo", name.lower(), name)
    zone, hours = ZONES[rng.randrange(len(ZONES)) if i % 5 else 0]
    interests = ", ".join(rng.sample(INTERESTS, 3))
    goals = ", ".join(rng.sample(INTERESTS, 2))
    offers = ", ".join(rng.sample(SKILLS, 2))
    wants = ", ".join(rng.sample(SKILLS, 2))
    fields = (f'interests="{interests}" goals="{goals}" offers="{offers}" wants="{wants}" '
              f'department={rng.choice(DEPARTMENTS)} timezone={zone} availability="{hours}" '
              f"experience={1 + i % 5}")
    return who, fields


async def run_demo(bot: CircleBot, out: TextIO, render: Render, outlet: Outlet,
                   seed: int = 7) -> None:
    rng = random.Random(seed)

    async def say(who: Identity, text: str, show: bool = False) -> None:
        reply = await bot.handle_command(who, text)
        if reply.tone == "error":
            raise RuntimeError(f"demo step failed: /circle {text}: {reply.text}")
        if show:
            print(f"\n$ /circle {text}   (as {who.display_name})\n{render(reply)}", file=out)

    print("Seeding a demo workspace with 40 members and 3 programs…", file=out, flush=True)
    programs = [
        ('"Peer learning circles" kind=peer size=4-6', "peer", range(0, 20)),
        ('"Mentoring pods" kind=pod size=3-5', "mentee", range(20, 32)),
        ('"Skill swap" kind=skill-swap', "skill-swap", range(32, 40)),
    ]
    for spec, role, people in programs:
        name = spec.split('"')[1]
        await say(COORDINATOR, f"program create {spec}", show=spec.startswith('"Peer'))
        for i in people:
            who, fields = _person(rng, i)
            member_role = "mentor" if role == "mentee" and i % 4 == 0 else role
            await say(who, f'join {member_role} program="{name}"')
            await say(who, f"profile set {fields}" + (" capacity=3" if member_role == "mentor" else ""))
        await say(COORDINATOR, f"program close {spec.split(' kind')[0]}")
        await say(COORDINATOR, f'round preview program="{name}"', show=role == "mentee")
        await say(COORDINATOR, f'round publish program="{name}"')

    print("\nA week goes by: prompts are posted, members answer, check in and rate the week…",
          file=out, flush=True)
    with unit_of_work(bot.sessions, now=bot.clock()) as session:
        circles = start_week_now(session, "console", "demo", 1, bot.clock())
    for n, members in enumerate(circles):
        struggling = n % 4 == 3  # a few circles go quiet, so health has something to flag
        for ext in members:
            who = Identity("console", "demo", ext, ext.capitalize())
            if struggling and rng.random() < 0.8:
                continue
            if rng.random() < 0.85:
                await say(who, f'answer "{rng.choice(ANSWERS)}"')
            await say(who, f"checkin {'yes' if not struggling else 'skipped'}")
            rating = rng.choice([2, 2, 3]) if struggling else rng.choice([3, 4, 4, 5, 5])
            await say(who, f"pulse {rating}")
    first = Identity("console", "demo", "ana", "Ana")
    await say(first, 'goal set "Give a lightning talk at the all-hands" by 2027-02-01', show=True)
    await say(first, "status", show=True)

    from bot.delivery import DEFER_SECONDS

    # Posts queued before their circle's space exists are deferred a few seconds; the demo
    # moves the worker's clock past such deferrals instead of waiting for them.
    ahead = [dt.timedelta(0)]
    worker, sent = outlet(lambda: bot.clock() + ahead[0])
    for _ in range(20):
        while await worker.run_once():
            pass
        with unit_of_work(bot.sessions) as session:
            if not undelivered(session):
                break
        ahead[0] += dt.timedelta(seconds=DEFER_SECONDS + 1)
    print(f"\nDelivered {len(sent)} messages to the circles' spaces (creating spaces, welcomes, prompts, "
          "check-ins). The first one:\n" + (sent[1] if len(sent) > 1 else ""), file=out)
    await say(COORDINATOR, "health", show=True)


def main_demo(config: Config, bot: CircleBot, out: TextIO, render: Render, outlet: Outlet) -> int:
    asyncio.run(run_demo(bot, out, render, outlet))
    return 0
