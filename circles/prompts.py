"""The built-in prompt bank and the rule for picking the week's prompt.

Themes follow common mentoring practice (GROW: goal, reality, options, will; plus wins and
blockers, skills, reflection and cross-functional exchange). A circle never sees the same
prompt twice until it has seen every prompt available to its program.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from circles.bulk import among
from circles.model import Circle, Prompt, PromptPost, Round


@dataclass(frozen=True)
class BankPrompt:
    key: str
    theme: str
    text: str


_BANK: dict[str, list[str]] = {
    "goal-setting": [
        "What is one thing you want to be able to do in three months that you can't do today?",
        "If this circle were wildly useful for you, what would be different by the end of the round?",
        "Which of your goals matters most this month, and how will you know you're making progress?",
        "What's a goal you keep postponing? What would a 30-minute first step look like?",
        "Pick one skill you want to grow. Who around you already does it well?",
        "What would you attempt this quarter if you knew you could not fail?",
    ],
    "reality-check": [
        "Where are you right now with your main goal, honestly, on a scale of 1 to 10? What makes it that number?",
        "What have you already tried for your current challenge, and what did you learn from it?",
        "What is taking more of your energy than it deserves at the moment?",
        "Which assumption about your work would you most like someone to test?",
        "What feedback have you received recently that you haven't acted on yet?",
        "What does a typical week look like for you, and where is the time for learning?",
    ],
    "wins-and-blockers": [
        "Share one win from this week, however small. What made it possible?",
        "What is blocking you right now, and what kind of help would unblock it?",
        "What did you finish this week that you are proud of?",
        "Where did you get stuck this week, and how did you get unstuck (or not)?",
        "What's one thing someone did for you recently that made your work easier?",
        "Which task did you avoid this week? What made it hard to start?",
        "What surprised you this week?",
    ],
    "skills": [
        "Teach the circle something in five sentences: a shortcut, a tool, or a habit you rely on.",
        "What skill do you have that others often ask you about?",
        "What's a skill you'd trade an hour of your expertise to learn? Anyone here able to help?",
        "Share a resource (book, talk, course, article) that changed how you work.",
        "What's the most useful mistake you made while learning your craft?",
        "How do you practise deliberately when your job is busy?",
        "Which skill did you underestimate when you started your career?",
    ],
    "reflection": [
        "Looking back over the last month, what have you learned about how you learn?",
        "What advice would you give yourself from one year ago?",
        "When did you last feel in flow at work? What conditions made that happen?",
        "What is one belief about your work that you have changed your mind on?",
        "What would you like more of, and less of, in the coming weeks?",
        "Which conversation in this circle has stayed with you, and why?",
        "How has your idea of a good career changed since you started?",
    ],
    "options-and-will": [
        "Name three different ways you could approach your current challenge. Which will you try first?",
        "What will you commit to doing before the next prompt? Tell the circle so it can ask you.",
        "Who could you ask for help this week that you haven't asked before?",
        "What's the smallest experiment you could run to test your next idea?",
        "If you had two extra hours next week for growth, how would you spend them?",
    ],
    "cross-functional": [
        "Explain what your team does to someone in a completely different role, in three sentences.",
        "What do other teams most often misunderstand about your work?",
        "What could your team learn from another team in this circle?",
        "Describe a handoff between teams that went well. What made it work?",
        "Which decision in another department would you like to understand better?",
        "What does 'done' mean in your role? How does that differ from the others here?",
    ],
}

BANK: list[BankPrompt] = [
    BankPrompt(
        key=f"{theme}-{hashlib.sha1(text.encode()).hexdigest()[:8]}", theme=theme, text=text
    )
    for theme, texts in _BANK.items()
    for text in texts
]
THEMES = tuple(_BANK)


def available_prompts(session: Session, workspace_id: int, program_id: int) -> list[BankPrompt]:
    """The bank plus the program's custom prompts (custom first: they were written for
    this group on purpose)."""
    custom = session.scalars(
        select(Prompt)
        .where(Prompt.workspace_id == workspace_id, Prompt.program_id == program_id)
        .order_by(Prompt.id)
    ).all()
    return [BankPrompt(f"custom:{p.id}", p.theme, p.text) for p in custom] + BANK


def _cached_prompts(session: Session, workspace_id: int, program_id: int) -> list[BankPrompt]:
    """One look-up per program per unit of work: a weekly sweep posts to thousands of circles."""
    cache = session.info.setdefault("circles.prompts", {})
    key = (workspace_id, program_id)
    if key not in cache:
        cache[key] = available_prompts(session, workspace_id, program_id)
    return cache[key]


def pick_prompt(circle_id: int, prompts: list[BankPrompt], used: Iterable[str]) -> BankPrompt:
    """The rule itself, without the database: the least-used prompts are the candidates (so
    nothing repeats until the bank is used up); a custom one among them wins; otherwise an
    order that differs between circles (so neighbouring circles don't all discuss the same
    thing) but is stable."""
    used = list(used)
    if used:
        counts = {p.key: 0 for p in prompts}
        for key in used:
            if key in counts:
                counts[key] += 1
        least = min(counts.values())
        fresh = [p for p in prompts if counts[p.key] == least]
    else:
        fresh = prompts  # a circle's first prompt: everything is unused
    for p in fresh:  # custom prompts come first in `available_prompts`
        if p.key.startswith("custom:"):
            return p
        break

    prefix = f"{circle_id}:".encode()
    sha1 = hashlib.sha1
    # the digest orders as its hex would, at half the cost
    return min(fresh, key=lambda p: sha1(prefix + p.key.encode()).digest())


def choose_prompt(session: Session, circle: Circle, cycle: int) -> BankPrompt:
    """Pick one circle's next prompt (see `pick_prompt`)."""
    rnd = session.get(Round, circle.round_id)
    assert rnd is not None
    prompts = _cached_prompts(session, circle.workspace_id, rnd.program_id)
    used = session.scalars(
        select(PromptPost.prompt_key).where(
            PromptPost.workspace_id == circle.workspace_id, PromptPost.circle_id == circle.id
        )
    ).all()
    return pick_prompt(circle.id, prompts, used)


def choose_prompts(session: Session, workspace_id: int, program_id: int,
                   circle_ids: Collection[int]) -> dict[int, BankPrompt]:
    """The same choice for many circles of one program at once: two queries in all (the
    program's prompts and these circles' used keys), however many circles."""
    prompts = _cached_prompts(session, workspace_id, program_id)
    wanted = set(circle_ids)
    used: dict[int, list[str]] = {cid: [] for cid in wanted}
    rows = session.execute(
        select(PromptPost.circle_id, PromptPost.prompt_key)
        .where(PromptPost.workspace_id == workspace_id, among(session, PromptPost.circle_id, wanted))
    )
    for cid, key in rows:
        used[cid].append(key)
    return {cid: pick_prompt(cid, prompts, used[cid]) for cid in wanted}
