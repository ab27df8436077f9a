"""`/circle help`, generated from the spec so it lists exactly what the parser accepts.

Topics a person can ask for (each listed at the foot of the top-level help):

- nothing: every command (coordinator commands only for coordinators), one line each;
- a group or a command (``help goal``, ``help program create``): usage, summary, example,
  and for one command each of its options with what it means and an example;
- ``help options``: every ``key=value`` option, one line each; ``help option weeks`` (or
  just ``help weeks``): one option in full — what it means, what values it takes, an
  example, and which commands take it;
- ``help kinds``: every kind of circle with an example; ``help kind near-peer`` (or just
  ``help near-peer``): one kind.

How to document a new option or command (the spec in tests/test_help.py enforces it): give
the option's ``Arg`` a one-line ``help`` (at most 100 characters, Discord shows it too) and an
``example`` such as ``weeks=8``; give a command that has a required argument an ``example``.
A new kind of circle needs an entry in ``KIND_HELP``.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.commands.errors import ParseError
from bot.commands.spec import PLACEHOLDERS, SPECS, Arg, CommandSpec
from bot.commands.vocab import INT_ARGS, KIND_LABELS, KINDS, WEIGHT_KEYS
from circles import rules


@dataclass(frozen=True)
class KindHelp:
    """What a kind of circle is, who joins it as what, and a command that creates one."""

    summary: str
    roles: str
    example: str


KIND_HELP: dict[str, KindHelp] = {
    "peer": KindHelp("Small groups of equals who learn together and share their progress.",
                     "everyone joins as peer",
                     '/circle program create "Peer circles" kind=peer size=4-6'),
    "pod": KindHelp("One mentor with a few mentees, who also learn from each other.",
                    "mentors join as mentor (capacity = how many mentees), others as mentee",
                    '/circle program create "Mentoring pods" kind=pod size=3-5'),
    "mentor_pair": KindHelp("One mentor and one mentee: what the mentor offers is matched to what "
                            "the mentee wants to learn.",
                            "mentors join as mentor, others as mentee",
                            '/circle program create "Mentoring" kind=mentor-pair'),
    "near_peer": KindHelp("Pairs one or two experience levels apart: the one a step ahead helps "
                          "the other, close enough to remember how it was.",
                          "join as mentee or mentor; experience (1-5) in the profile decides",
                          '/circle program create "Near-peer pairs" kind=near-peer'),
    "reverse": KindHelp("Reverse mentoring: pairs where the less experienced person teaches the "
                        "more senior one (a new tool, a new generation's view).",
                        "join as mentee or mentor; experience (1-5) decides who teaches",
                        '/circle program create "Reverse mentoring" kind=reverse'),
    "skill_swap": KindHelp("Pairs who teach each other: what one offers is what the other wants.",
                           "everyone joins as skill-swap and fills in offers and wants",
                           '/circle program create "Skill swap" kind=skill-swap'),
    "cross_functional": KindHelp("Peer groups mixed across departments, to meet people outside "
                                 "your team.",
                                 "everyone joins as peer; department in the profile is used",
                                 '/circle program create "Across teams" kind=cross-functional '
                                 "size=4-6"),
}

#: what values an option takes, beyond its bounds (by the option's type)
VALUES = {
    "size": (f"{rules.CIRCLE_SIZE.lo} to {rules.CIRCLE_SIZE.hi} people, smallest first, like 4-6; "
             "pair kinds always use 2"),
    "day": "mon, tue, wed, thu, fri, sat or sun (full names work too)",
    "time": "24-hour HH:MM, 00:00 to 23:59",
    "program_tz": "a timezone name like Europe/Berlin or America/New_York, or member-local",
    "weights": (f"name:number pairs separated by commas; names: {', '.join(WEIGHT_KEYS)}; "
                f"numbers from {-rules.MAX_WEIGHT:g} to {rules.MAX_WEIGHT:g}. A negative "
                "department weight keeps teams together, a positive one mixes them"),
    "word": "the program's name, in quotes when it has spaces",
    "kind": "see `/circle help kinds`",
}

TOPICS_FOOTER = ("More help: `/circle help program create` (one command and its options), "
                 "`/circle help options` (every option), `/circle help option weeks` (one option), "
                 "`/circle help kinds` (every kind of circle).")


@dataclass(frozen=True)
class HelpPage:
    """What help shows: a title, (label, text) rows and a line at the foot."""

    title: str
    rows: list[tuple[str, str]]
    footer: str = ""


def options() -> dict[str, Arg]:
    """Every ``key=value`` option of the grammar, by name, in the order commands list them."""
    out: dict[str, Arg] = {}
    for spec in SPECS:
        for arg in spec.args:
            if arg.option and arg.name not in out:
                out[arg.name] = arg
    return out


def example_of(spec: CommandSpec) -> str:
    """The command's example. Without one, a command whose required arguments are all
    choices is shown with the first of each (`/circle checkin yes`); any other required
    argument needs an ``example`` in the spec."""
    if spec.example:
        return spec.example
    required = [a for a in spec.args if a.required]
    if any(not a.choices or a.option for a in required):
        return ""
    return " ".join(["/circle", spec.name, *(a.choices[0] for a in required)])


def option_token(arg: Arg) -> str:
    """How an option is written in a usage line: ``weeks=N``, ``cadence=weekly|biweekly``."""
    return f"{arg.name}=" + ("|".join(arg.choices) if arg.choices
                             else PLACEHOLDERS.get(arg.type, f"<{arg.name}>"))


def option_values(arg: Arg) -> str:
    """The values an option takes, in words."""
    if arg.type in INT_ARGS:
        bounds, _ = INT_ARGS[arg.type]
        return f"a whole number from {bounds.lo} to {bounds.hi}"
    if arg.choices and arg.type != "kind":
        return "one of " + ", ".join(arg.choices)
    if arg.type == "kind":
        return "one of " + ", ".join(KINDS) + " (see `/circle help kinds`)"
    return VALUES.get(arg.type, "")


def option_usage(arg: Arg) -> str:
    """The usage shown when one option was typed wrong: that option alone, with its range
    (when it has one) and an example; `/circle help option NAME` has the rest."""
    token = option_token(arg)
    bounds = f" ({option_values(arg)})" if arg.type in INT_ARGS else ""
    example = f", e.g. {arg.example}" if arg.example and arg.example != token else ""
    return f"{token}{bounds}{example}"


def _option_page(arg: Arg) -> HelpPage:
    takes = [s for s in SPECS if arg in s.args]
    rows = [(option_token(arg), arg.help)]
    values = option_values(arg)
    if values:
        rows.append(("Values", values))
    if arg.example:
        rows.append(("Example", f"`{arg.example}`"))
    rows.append(("Used by", ", ".join(f"`/circle {s.name}`" for s in takes)))
    return HelpPage(f"Option {arg.name}", rows, "Every option: `/circle help options`.")


def _kind_row(kind: str) -> tuple[str, str]:
    k = KIND_HELP[kind]
    return KIND_LABELS[kind], f"{k.summary} Who: {k.roles}. Example: `{k.example}`"


def _command_rows(spec: CommandSpec, detailed: bool) -> list[tuple[str, str]]:
    summary = spec.summary + (" (coordinators)" if spec.coordinator_only else "")
    example = example_of(spec)
    if detailed and example:
        summary += f" — e.g. `{example}`"
    rows = [(spec.short_usage, summary)]
    if detailed:
        for arg in spec.args:
            if arg.option:
                rows.append((f"  {option_token(arg)}", f"{arg.help}. e.g. `{arg.example}`"))
    return rows


def help_page(topic: str = "", coordinator: bool = False) -> HelpPage:
    """The help a person asked for (see the module docstring for the topics)."""
    topic = " ".join(topic.strip().lower().split())
    opts = options()
    first, _, rest = topic.partition(" ")
    if topic in ("options", "option"):
        rows = [(option_token(a), f"{a.help}. e.g. `{a.example}`") for a in opts.values()]
        return HelpPage("Options", rows, "One option in full: `/circle help option weeks`.")
    if first == "option" and rest:
        if rest not in opts:
            raise ParseError(f"There's no option '{rest}'. Options: {', '.join(opts)}.",
                             "/circle help option NAME")
        return _option_page(opts[rest])
    if topic in ("kinds", "kind"):
        return HelpPage("Kinds of circles", [_kind_row(k) for k in KIND_HELP],
                        "Set one with `kind=` in `/circle program create`.")
    if first == "kind" and rest:
        if rest not in KINDS:
            raise ParseError(f"There's no kind '{rest}'. Kinds: {', '.join(KINDS)}.",
                             "/circle help kind NAME")
        return HelpPage(f"Kind {rest}", [_kind_row(KINDS[rest])], "Every kind: `/circle help kinds`.")
    chosen = [s for s in SPECS if not topic or s.path[0] == topic or s.name == topic]
    if not chosen and topic in opts:
        return _option_page(opts[topic])
    if not chosen and topic in KINDS:
        return HelpPage(f"Kind {topic}", [_kind_row(KINDS[topic])], "Every kind: `/circle help kinds`.")
    if topic and not chosen:
        raise ParseError(f"There's no help topic '{topic}'. Type `/circle help` for everything.")
    if not topic:
        if not coordinator:
            chosen = [s for s in chosen if not s.coordinator_only]
        rows = [row for s in chosen for row in _command_rows(s, detailed=False)]
        return HelpPage("Circlebot commands", rows, TOPICS_FOOTER)
    one = len(chosen) == 1
    rows = [row for s in chosen for row in _command_rows(s, detailed=True)
            if one or not row[0].startswith("  ")]
    footer = "" if one else f"Options and details: `/circle help {chosen[0].name}`."
    return HelpPage(f"/circle {topic}", rows, footer)


def help_text(topic: str = "", coordinator: bool = False) -> tuple[str, list[tuple[str, str]]]:
    """(title, [(usage, summary)]) for all commands or those matching a topic."""
    page = help_page(topic, coordinator)
    return page.title, page.rows
