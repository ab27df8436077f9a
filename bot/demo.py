"""`circlebot demo`: a week of the product in a few seconds, with no tokens.

A coordinator sets up three programs of different kinds and forty people join; then the
console's clock lets one week pass: Monday's prompt is posted, members answer (by button,
by thread reply, by command), Wednesday's nudge reaches the one who didn't, Friday's check-in
asks whether the circle met with buttons to rate the week, Monday's digest reaches the
coordinator, and the coordinator reads the health report.

Everything goes through the console wiring `circlebot run` uses (the composition root builds
it): typed lines into a console session, the console clock and the cycle engine deciding what
is due, the delivery worker sending it through a console gateway. What one circle and its
members see is printed as they would see it; what the other circles receive is counted.
"""

from __future__ import annotations

import datetime as dt
import io
import random
from collections.abc import Callable
from typing import Protocol, TextIO

# A fixed Monday morning, so every run of the demo reads the same. Everything the bot stamps
# uses the bot's clock, so the date may be in the past or the future.
START = dt.datetime(2027, 1, 4, 8, 0, tzinfo=dt.UTC)
COORDINATOR = "you"  # the console's coordinator
# The coordinators' digest goes out on Friday afternoon in the demo, after the week's check-in,
# so one week shows it with something in it (the default, Monday 09:00, precedes the prompt).
DIGEST_DAY, DIGEST_TIME = "fri", "17:00"

FIRST = ["Ana", "Ben", "Chidi", "Dana", "Elif", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kemi",
         "Luca", "Maya", "Nikhil", "Olga", "Priya", "Quinn", "Rosa", "Sami", "Tariq", "Uma", "Viktor",
         "Wen", "Ximena", "Yusuf", "Zoe", "Amara", "Bruno", "Carmen", "Dmitri", "Esther", "Felix",
         "Giulia", "Hassan", "Ivy", "Jamal", "Kaito", "Lena", "Mateo", "Noor"]
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
PROGRAMS = [("Peer learning circles", "kind=peer size=4-5", "peer", range(0, 20)),
            ("Mentoring pods", "kind=pod size=3-5", "mentee", range(20, 32)),
            ("Skill swap", "kind=skill-swap", "skill-swap", range(32, 40))]


class Console(Protocol):
    """The console session the composition root wires (adapters.console's ConsoleSession)."""

    user: str

    async def handle_line(self, line: str) -> bool: ...


class Spaces(Protocol):
    """What the console gateway knows: its spaces' names and who is in each."""

    spaces: dict[str, str]
    members: dict[str, list[str]]
    pressable: dict[str, list[object]]


class Transcript(io.TextIOBase):
    """Where the demo prints: the terminal, except while setting up, when it is muted."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.muted = False

    def write(self, text: str) -> int:
        if not self.muted:
            self.out.write(text)
        return len(text)

    def flush(self) -> None:
        self.out.flush()


class Spotlight:
    """The gateway's posts, filtered: the first circle formed and its members' messages (and
    the coordinator's) are printed; the rest are counted, so the week stays readable."""

    def __init__(self, transcript: Transcript) -> None:
        self.transcript = transcript
        self.gateway: Spaces | None = None
        self.hidden = 0

    @property
    def space(self) -> str | None:
        return next(iter(self.gateway.spaces), None) if self.gateway else None

    @property
    def people(self) -> list[str]:
        space = self.space
        return list(self.gateway.members.get(space, [])) if self.gateway and space else []

    def write(self, text: str) -> None:
        space = self.space
        mine = space is not None and self.gateway is not None and \
            text.startswith(f"[#{self.gateway.spaces[space]}]")
        to_me = any(text.startswith(f"[DM to @{u}]") for u in [*self.people, COORDINATOR])
        if mine or to_me:
            print(f"\n{text}", file=self.transcript, flush=True)
        else:
            self.hidden += 1

    def others(self) -> None:
        """One line for what the other circles and people received since the last call."""
        if self.hidden:
            noun = "message" if self.hidden == 1 else "messages"
            print(f"  (… and {self.hidden} more {noun} to the other circles and their members)",
                  file=self.transcript, flush=True)
        self.hidden = 0


class Demo:
    """Types lines into the console as different people, printing what each one sees."""

    def __init__(self, console: Console, gateway: Spaces, transcript: Transcript,
                 spotlight: Spotlight, feed: list[str]) -> None:
        self.console = console
        self.gateway = gateway
        self.out = transcript
        self.spotlight = spotlight
        self.feed = feed  # what the person types into a form the line opens

    def narrate(self, text: str) -> None:
        print(f"\n━━ {text}", file=self.out, flush=True)

    async def be(self, user: str) -> None:
        """Switch who is at the keyboard (without printing the switch)."""
        if self.console.user != user:
            muted, self.out.muted = self.out.muted, True
            await self.console.handle_line(f"/as {user}")
            self.out.muted = muted

    async def type(self, user: str, line: str, *form: str) -> None:
        await self.be(user)
        print(f"\n@{user}> {line}", file=self.out, flush=True)
        self.feed[:] = list(form)
        await self.console.handle_line(line)
        self.feed.clear()

    async def press(self, user: str, label: str, *form: str) -> None:
        """Press the button labelled ``label`` under the newest message ``user`` saw."""
        await self.be(user)
        labels = [getattr(b, "label", "") for b in self.gateway.pressable.get(user, [])]
        await self.type(user, str(labels.index(label) + 1), *form)

    async def quietly(self, user: str, line: str) -> None:
        muted, self.out.muted = self.out.muted, True
        await self.type(user, line)
        self.out.muted = muted


def _profile(rng: random.Random, i: int) -> str:
    zone, hours = ZONES[rng.randrange(len(ZONES)) if i % 5 else 0]
    return (f'/circle profile set interests="{", ".join(rng.sample(INTERESTS, 3))}" '
            f'goals="{", ".join(rng.sample(INTERESTS, 2))}" offers="{", ".join(rng.sample(SKILLS, 2))}" '
            f'wants="{", ".join(rng.sample(SKILLS, 2))}" department={rng.choice(DEPARTMENTS)} '
            f'timezone={zone} availability="{hours}" experience={1 + i % 5}')


async def set_up(demo: Demo, rng: random.Random) -> None:
    demo.narrate("Monday 4 January, 08:00. You are @you, the coordinator. You create three "
                 "programs of different kinds; 40 people join and fill in their profiles.")
    for name, options, role, people in PROGRAMS:
        create = f'/circle program create "{name}" {options}'
        await (demo.type if role == "peer" else demo.quietly)(COORDINATOR, create)
        for i in people:
            who = FIRST[i].lower()
            member_role = "mentor" if role == "mentee" and i % 4 == 0 else role
            await demo.quietly(who, f'/circle join {member_role} program="{name}"')
            await demo.quietly(who, _profile(rng, i) + (" capacity=3" if member_role == "mentor" else ""))
        await demo.quietly(COORDINATOR, f'/circle program close "{name}"')
    demo.narrate("You preview the peer program's first round, then publish all three: each "
                 "circle gets its own space and a welcome.")
    await demo.type(COORDINATOR, '/circle round preview program="Peer learning circles"')
    await demo.type(COORDINATOR, '/circle round publish program="Peer learning circles"')
    for name, *_ in PROGRAMS[1:]:
        await demo.quietly(COORDINATOR, f'/circle round preview program="{name}"')
        await demo.quietly(COORDINATOR, f'/circle round publish program="{name}"')
    demo.spotlight.others()


async def the_week(demo: Demo, rng: random.Random) -> None:
    spot = demo.spotlight
    people = [p for p in spot.people if p != COORDINATOR]
    other_spaces = [s for s in demo.gateway.members if s != spot.space]
    others = sorted({u for s in other_spaces for u in demo.gateway.members[s]})
    # every fourth circle has a hard week, so the health report has something to flag
    struggling = {u for n, s in enumerate(other_spaces) if n % 4 == 2 for u in demo.gateway.members[s]}
    demo.narrate("Monday 10:00: the week's prompt is posted in every circle.")
    await demo.type(COORDINATOR, "/clock 2027-01-04 10:00")
    spot.others()

    demo.narrate(f"The members of {demo.gateway.spaces[spot.space or '']} answer: one with the "
                 "Answer button, one with /reply (the console's thread reply), one with a command. "
                 f"@{people[-1]} doesn't answer yet.")
    await demo.press(people[0], "Answer", ANSWERS[0])
    await demo.type(people[1], f"/reply {ANSWERS[4]}")
    await demo.type(people[2], f'/circle answer "{ANSWERS[3]}"')
    await demo.type(people[0], "/circle answers")
    for who in others:
        if who not in struggling and rng.random() < 0.8:
            await demo.quietly(who, f'/circle answer "{rng.choice(ANSWERS)}"')

    demo.narrate("Wednesday 10:00: whoever hasn't answered gets a friendly nudge.")
    await demo.type(COORDINATOR, "/clock 2027-01-06 10:00")
    spot.others()

    demo.narrate("Friday 10:00: the check-in asks whether each circle met, with buttons to "
                 "rate the week from 1 to 5.")
    await demo.type(COORDINATOR, "/clock 2027-01-08 10:00")
    spot.others()
    await demo.press(people[0], "5")
    await demo.press(people[0], "Add a comment", "Good energy, we set goals together")
    await demo.type(people[0], "/circle checkin yes")
    await demo.press(people[1], "Yes")
    await demo.type(people[1], '/circle pulse 4 "Useful, a bit short"')
    await demo.quietly(people[2], "/circle pulse 4")
    for who in others:
        hard = who in struggling
        await demo.quietly(who, f"/circle checkin {'skipped' if hard else 'yes'}")
        await demo.quietly(who, f"/circle pulse {2 if hard else rng.choice([3, 4, 4, 5, 5])}")

    demo.narrate("Friday 17:00: your weekly digest as coordinator.")
    await demo.type(COORDINATOR, "/clock 2027-01-08 17:00")
    spot.others()

    demo.narrate("And how are the circles doing? The health report:")
    await demo.type(COORDINATOR, "/circle health")


async def run_demo(console: Console, gateway: Spaces, transcript: Transcript,
                   spotlight: Spotlight, feed: list[str], seed: int = 7) -> None:
    demo = Demo(console, gateway, transcript, spotlight, feed)
    rng = random.Random(seed)
    await set_up(demo, rng)
    await the_week(demo, rng)
    demo.narrate("That was one week. `circlebot run` starts the same console for you to try "
                 "(/clock +1w lets a week pass); see the README to connect Slack or Discord.")


Build = Callable[[TextIO, Callable[[str], str], Callable[[str], None], dt.datetime],
                 "tuple[Console, Spaces]"]


def main_demo(build: Build, out: TextIO, seed: int = 7) -> int:
    """Runs the demo on a console the composition root builds (``build(out, ask, posts,
    start)`` → the console session and its gateway)."""
    import asyncio

    transcript = Transcript(out)
    spotlight = Spotlight(transcript)
    feed: list[str] = []

    def ask(prompt: str) -> str:
        if not feed:
            raise EOFError  # a form nobody fills in is left unsaved
        line = feed.pop(0)
        print(f"{prompt}{line}", file=transcript, flush=True)
        return line

    console, gateway = build(transcript, ask, spotlight.write, START)
    spotlight.gateway = gateway
    asyncio.run(run_demo(console, gateway, transcript, spotlight, feed, seed))
    return 0
