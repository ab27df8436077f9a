"""The command spec: one table of every `/circle` command, its arguments and its summary.

The parser, `/circle help`, and the Discord slash-command options are all generated from
``SPECS``, so what is accepted, what is documented and what Discord offers can't drift.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.commands.requests import (
    Answer,
    Answers,
    CheckInCmd,
    CoordinatorsAdd,
    CoordinatorsList,
    CoordinatorsRemove,
    Export,
    ExportMe,
    ForgetMe,
    GoalDelete,
    GoalDone,
    GoalEdit,
    GoalList,
    GoalNote,
    GoalSet,
    Health,
    HealthChart,
    HealthCircle,
    HealthRounds,
    Help,
    Join,
    Leave,
    Pause,
    ProfileEdit,
    ProfileSet,
    ProfileShow,
    ProgramClose,
    ProgramCreate,
    ProgramDelete,
    ProgramList,
    ProgramOpen,
    ProgramRename,
    ProgramSet,
    PromptAdd,
    PromptList,
    PromptRemove,
    PulseCmd,
    Rematch,
    Request,
    Resume,
    RoundEnd,
    RoundMove,
    RoundPreview,
    RoundPublish,
    Status,
)
from bot.commands.vocab import KINDS, ROLES


@dataclass(frozen=True)
class Arg:
    """One argument. ``option`` args are typed as key=value; ``keyword`` is an optional
    word that may precede a positional (``until`` in `pause until 2026-12-31`)."""

    name: str
    type: str
    required: bool = False
    option: bool = False
    keyword: str = ""
    choices: tuple[str, ...] = ()
    #: one line (at most 100 characters: Discord shows it as the option's description)
    help: str = ""
    #: how the option is typed, e.g. ``weeks=8``; `/circle help option NAME` shows it
    example: str = ""


@dataclass(frozen=True)
class CommandSpec:
    path: tuple[str, ...]
    summary: str
    request: type[Request]
    args: tuple[Arg, ...] = ()
    coordinator_only: bool = False
    example: str = ""
    free_text: bool = False  # key=value words that aren't its options are part of the text

    @property
    def name(self) -> str:
        return " ".join(self.path)

    @property
    def usage(self) -> str:
        parts = ["/circle", *self.path]
        for a in self.args:
            if a.type == "profile_options":
                token = "key=value ..."
            elif a.option:
                token = f"{a.name}=" + ("|".join(a.choices) if a.choices
                                         else PLACEHOLDERS.get(a.type, f"<{a.name}>"))
            else:
                token = "|".join(a.choices) if a.choices else PLACEHOLDERS.get(a.type, f"<{a.name}>")
                if a.type == "text":
                    token = f'"{a.name.replace("_", " ")}"'
                if a.keyword:
                    token = f"{a.keyword} {token}"
            parts.append(token if a.required else f"[{token}]")
        return " ".join(parts)

    @property
    def short_usage(self) -> str:
        """The usage with more than two options folded into ``[option=value ...]``: a line
        a person can read (each option has its own help: `/circle help option NAME`)."""
        options = [a for a in self.args if a.option]
        if len(options) <= 2:
            return self.usage
        short = CommandSpec(self.path, self.summary, self.request,
                            tuple(a for a in self.args if not a.option))
        return f"{short.usage} [option=value ...]"


PLACEHOLDERS = {"date": "YYYY-MM-DD", "member": "@member", "rating": "1-5", "goal_number": "N",
                "circle_number": "N", "size": "4-6", "day": "mon..sun", "time": "HH:MM",
                "program_tz": "Area/City|member-local", "weeks": "N", "repeat": "N", "hours": "N",
                "seed": "N", "word": '"Name"', "weights": "interests:2,department:-1"}


def _a(name: str, type_: str, **kw: Any) -> Arg:
    return Arg(name, type_, **kw)


PROGRAM_OPT = _a("program", "word", option=True, help="Which program, when there is more than one",
                 example='program="Spring peer circles"')
# which of your circles, for someone in circles of more than one program
WHICH_CIRCLE = (_a("program", "word", option=True,
                   help="Which program's circle it is for, when you're in more than one",
                   example='program="Spring"'),
                _a("circle", "circle_number", option=True,
                   help="Which of your circles (its number) it is for, when you're in more than one",
                   example="circle=2"))
# what `program create` sets and `program set` changes
PROGRAM_SETTINGS = (
    _a("size", "size", option=True, help="How many people in each circle: a range, or one number",
       example="size=4-6"),
    _a("cadence", "choice", option=True, choices=("weekly", "biweekly"),
       help="How often a new prompt is posted: every week or every other week",
       example="cadence=biweekly"),
    _a("day", "day", option=True, help="The weekday prompts are posted on", example="day=tue"),
    _a("time", "time", option=True, help="The time prompts are posted at (24-hour)",
       example="time=09:30"),
    _a("tz", "program_tz", option=True,
       help="The timezone of day and time, or member-local for each member's own",
       example="tz=Europe/Berlin"),
    _a("weeks", "weeks", option=True, help="How many weeks a round runs before it ends",
       example="weeks=8"),
    _a("repeat", "repeat", option=True,
       help="For how many rounds two people are kept from being matched again", example="repeat=4"),
    _a("hours", "hours", option=True,
       help="Hours a week a circle's members should share in their availability",
       example="hours=2"),
    _a("weights", "weights", option=True,
       help="What matters more or less when matching: key:number pairs",
       example="weights=interests:2,department:-1"),
)

SPECS: list[CommandSpec] = [
    CommandSpec(("help",), "Show what I can do, or the details of one command", Help,
                (_a("topic", "rest"),), example="/circle help goal"),
    CommandSpec(("join",), "Join circles and fill in your profile", Join,
                (_a("role", "choice", choices=ROLES), PROGRAM_OPT), example="/circle join mentee"),
    CommandSpec(("profile",), "Show your profile", ProfileShow),
    CommandSpec(("profile", "edit"), "Edit your profile in a form", ProfileEdit),
    CommandSpec(("profile", "set"), "Change profile fields", ProfileSet,
                (_a("values", "profile_options", required=True),),
                example='/circle profile set interests="public speaking, rust" timezone=Europe/Berlin'),
    CommandSpec(("pause",), "Pause prompts and matching until a date", Pause,
                (_a("until", "date", required=True, keyword="until"),),
                example="/circle pause until 2026-12-31"),
    CommandSpec(("resume",), "Resume after a pause", Resume),
    CommandSpec(("leave",), "Leave your circles (asks to confirm)", Leave),
    CommandSpec(("status",), "Your circles, the next prompt, your open goals", Status),
    CommandSpec(("answers",), "Your circle's answers to this week's prompt", Answers),
    CommandSpec(("answer",), "Answer this week's prompt", Answer,
                (_a("text", "text", required=True), *WHICH_CIRCLE),
                example='/circle answer "I shipped my first talk" program="Spring"', free_text=True),
    CommandSpec(("checkin",), "Tell us whether your circle met this week", CheckInCmd,
                (_a("status", "checkin", required=True, choices=("yes", "not-yet", "skipped")),
                 *WHICH_CIRCLE), example='/circle checkin not yet program="Spring"'),
    CommandSpec(("pulse",), "Rate this week in your circle from 1 to 5", PulseCmd,
                (_a("rating", "rating", required=True), _a("comment", "text"), *WHICH_CIRCLE),
                example='/circle pulse 4 "good energy" circle=2', free_text=True),
    CommandSpec(("goal", "set"), "Set a goal, optionally with a due date", GoalSet,
                (_a("text", "text", required=True), _a("due", "date", keyword="by")),
                example='/circle goal set "Give a lightning talk" by 2027-02-01'),
    CommandSpec(("goal", "done"), "Mark goal N as done", GoalDone,
                (_a("number", "goal_number", required=True),), example="/circle goal done 1"),
    CommandSpec(("goal", "note"), "Add a progress note to goal N", GoalNote,
                (_a("number", "goal_number", required=True), _a("text", "text", required=True)),
                example='/circle goal note 1 "Outline written"'),
    CommandSpec(("goal", "list"), "List your goals", GoalList),
    CommandSpec(("goal", "edit"), "Change goal N's text (and due date)", GoalEdit,
                (_a("number", "goal_number", required=True), _a("text", "text", required=True),
                 _a("due", "date", keyword="by")),
                example='/circle goal edit 1 "Give a talk at the all-hands" by 2027-03-01'),
    CommandSpec(("goal", "delete"), "Delete goal N", GoalDelete,
                (_a("number", "goal_number", required=True),), example="/circle goal delete 1"),
    CommandSpec(("program", "create"), "Create a program", ProgramCreate,
                (_a("name", "text", required=True),
                 _a("kind", "kind", option=True, choices=tuple(KINDS),
                    help="What kind of circles the program forms (see /circle help kinds)",
                    example="kind=pod"), *PROGRAM_SETTINGS),
                coordinator_only=True,
                example='/circle program create "Spring peer circles" kind=peer size=4-6 '
                        "cadence=weekly day=mon time=10:00"),
    CommandSpec(("program", "set"), "Change a program's settings (only the options given)",
                ProgramSet,
                (_a("name", "text"), *PROGRAM_SETTINGS),
                coordinator_only=True,
                example='/circle program set "Spring peer circles" repeat=4 hours=2 '
                        "weights=interests:2,department:-1"),
    CommandSpec(("program", "open"), "Open enrolment", ProgramOpen,
                (_a("name", "text"),), coordinator_only=True),
    CommandSpec(("program", "close"), "Close enrolment", ProgramClose,
                (_a("name", "text"),), coordinator_only=True),
    CommandSpec(("program", "list"), "List programs", ProgramList),
    CommandSpec(("program", "rename"), "Rename a program", ProgramRename,
                (_a("name", "text", required=True), _a("new_name", "text", required=True, keyword="to")),
                coordinator_only=True, example='/circle program rename "Spring" to "Spring 2027"'),
    CommandSpec(("prompt", "add"), "Add a custom prompt to a program", PromptAdd,
                (_a("text", "text", required=True), PROGRAM_OPT), coordinator_only=True,
                example='/circle prompt add "What did you teach someone this week?"'),
    CommandSpec(("prompt", "list"), "List a program's custom prompts", PromptList,
                (PROGRAM_OPT,), coordinator_only=True),
    CommandSpec(("prompt", "remove"), "Remove custom prompt N", PromptRemove,
                (_a("number", "goal_number", required=True), PROGRAM_OPT), coordinator_only=True,
                example="/circle prompt remove 2"),
    CommandSpec(("round", "preview"), "Form a draft round and show it", RoundPreview,
                (PROGRAM_OPT, _a("seed", "seed", option=True,
                                 help="Another number gives another draft from the same people",
                                 example="seed=42"),
                 _a("fresh", "choice", choices=("fresh",),
                    help="Form the draft again from scratch, dropping your moves",
                    example="fresh")), coordinator_only=True,
                example="/circle round preview seed=42"),
    CommandSpec(("round", "move"), "Move a member to another circle in the draft", RoundMove,
                (_a("member", "member", required=True), _a("circle", "circle_number",
                                                           required=True, keyword="to"),
                 PROGRAM_OPT), coordinator_only=True, example="/circle round move @alice to 3"),
    CommandSpec(("round", "publish"), "Publish the draft round: create spaces, welcome circles",
                RoundPublish, (PROGRAM_OPT,), coordinator_only=True),
    CommandSpec(("round", "end"), "End the active round and archive its spaces", RoundEnd,
                (PROGRAM_OPT,), coordinator_only=True),
    CommandSpec(("health",), "How circles are doing: participation, pulse, risks", Health,
                (PROGRAM_OPT,), coordinator_only=True),
    CommandSpec(("rematch",), "Move a member to another circle (asks to confirm)", Rematch,
                (_a("member", "member", required=True),), coordinator_only=True,
                example="/circle rematch @alice"),
    CommandSpec(("coordinators", "add"), "Make someone a coordinator", CoordinatorsAdd,
                (_a("member", "member", required=True),), coordinator_only=True,
                example="/circle coordinators add @alice"),
    CommandSpec(("coordinators", "list"), "List coordinators", CoordinatorsList),
    CommandSpec(("coordinators", "remove"), "Stop someone being a coordinator", CoordinatorsRemove,
                (_a("member", "member", required=True),), coordinator_only=True,
                example="/circle coordinators remove @alice"),
    CommandSpec(("health", "rounds"), "Compare this round with earlier ones, with the closing survey",
                HealthRounds, (PROGRAM_OPT,), coordinator_only=True,
                example='/circle health rounds program="Spring circles"'),
    CommandSpec(("export-me",), "Everything stored about you, as a file", ExportMe),
    CommandSpec(("forget-me",), "Delete everything personal about you (asks to confirm)", ForgetMe),
    CommandSpec(("health", "circle"), "One circle in detail: who's quiet, check-ins, pulse, goals", HealthCircle,
                (_a("number", "circle_number", required=True), PROGRAM_OPT), coordinator_only=True,
                example="/circle health circle 3"),
    CommandSpec(("health", "chart"), "Chart of answers, meetings, pulse and risks per week",
                HealthChart, (PROGRAM_OPT,), coordinator_only=True,
                example='/circle health chart program="Spring circles"'),
    CommandSpec(("export",), "Program evaluation data as CSV files (sent to you privately)", Export,
                (PROGRAM_OPT,), coordinator_only=True, example='/circle export program="Spring circles"'),
    CommandSpec(("program", "delete"), "Delete a program and its rounds (asks to confirm; not "
                "while a round runs)", ProgramDelete, (_a("name", "text"),), coordinator_only=True,
                example='/circle program delete "Spring"'),
]
SPEC_BY_REQUEST: dict[type[Request], CommandSpec] = {s.request: s for s in SPECS}
GROUPS = sorted({s.path[0] for s in SPECS if len(s.path) > 1})


def spec_for(request: Request) -> CommandSpec:
    return SPEC_BY_REQUEST[type(request)]
