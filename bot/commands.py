"""The `/circle` command grammar: one spec, parsed once into typed requests.

Every adapter hands us the text after `/circle` (or builds a request from typed options);
validation and the wording of every usage error live here, and the same spec renders
`/circle help`, so the help can never drift from what the parser accepts.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import shlex
from dataclasses import dataclass, field, fields
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

MAX_TEXT = 4000
KINDS = {
    "peer": "peer",
    "pod": "pod",
    "mentor-pair": "mentor_pair",
    "near-peer": "near_peer",
    "reverse": "reverse",
    "skill-swap": "skill_swap",
    "cross-functional": "cross_functional",
}
KIND_LABELS = {v: k for k, v in KINDS.items()}
ROLES = ("peer", "mentor", "mentee", "skill-swap")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
CHECKIN = {"yes": "met", "met": "met", "not-yet": "not_yet", "notyet": "not_yet",
           "skipped": "skipped", "skip": "skipped", "no": "skipped"}
PROFILE_KEYS = ("role", "experience", "department", "interests", "goals", "offers", "wants",
                "timezone", "availability", "capacity", "avoid")
WEIGHT_KEYS = ("interests", "goals", "skills", "experience", "department", "availability")


class ParseError(Exception):
    """A user mistake, with the message to show and the usage to show it with."""

    def __init__(self, message: str, usage: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.usage = usage


# ----------------------------------------------------------------- value types


@dataclass(frozen=True)
class MemberRef:
    """A member as the user typed it: a platform mention (`<@U123>`) or a name (`@alice`)."""

    external_id: str | None = None
    name: str | None = None

    def __str__(self) -> str:
        return f"<@{self.external_id}>" if self.external_id else f"@{self.name}"


_MENTION = re.compile(r"^<@!?([A-Za-z0-9]+)(?:\|([^>]*))?>$")


def to_member(raw: str) -> MemberRef:
    m = _MENTION.match(raw)
    if m:
        return MemberRef(external_id=m.group(1), name=m.group(2))
    if raw.startswith("@") and len(raw) > 1:
        return MemberRef(name=raw[1:])
    if re.fullmatch(r"\d{5,25}", raw):  # a bare Discord snowflake from a typed user option
        return MemberRef(external_id=raw)
    raise ParseError(f"I couldn't tell who '{raw}' is. Mention them, like @alice.")


def to_date(raw: str, today: dt.date | None = None) -> dt.date:
    today = today or dt.date.today()
    low = raw.lower()
    if low == "today":
        return today
    if low == "tomorrow":
        return today + dt.timedelta(days=1)
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise ParseError(
            f"I couldn't read '{raw}' as a date. Use YYYY-MM-DD, for example 2026-12-31."
        ) from None


def to_int(raw: str, lo: int, hi: int, what: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ParseError(f"'{raw}' isn't a whole number; {what} is {lo} to {hi}.") from None
    if not lo <= value <= hi:
        raise ParseError(f"{what.capitalize()} must be from {lo} to {hi}; you gave {value}.")
    return value


def to_size(raw: str) -> tuple[int, int]:
    m = re.fullmatch(r"(\d+)(?:-(\d+))?", raw)
    if not m:
        raise ParseError(f"I couldn't read size '{raw}'. Use a range like 4-6, or one number like 2.")
    lo = int(m.group(1))
    hi = int(m.group(2) or lo)
    if lo < 2 or hi > 12 or lo > hi:
        raise ParseError(f"Size {raw} doesn't work: circles hold 2 to 12 people, smallest first.")
    return lo, hi


def to_time(raw: str) -> str:
    m = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", raw)
    if not m:
        raise ParseError(f"I couldn't read time '{raw}'. Use 24-hour HH:MM, for example 09:30.")
    return f"{int(m.group(1)):02d}:{m.group(2)}"


def to_day(raw: str) -> str:
    low = raw.lower()
    full = {d + rest: d for d, rest in zip(DAYS, ("day", "sday", "nesday", "rsday", "day", "urday", "day"), strict=True)}
    if low in DAYS:
        return low
    if low in full:
        return full[low]
    raise ParseError(f"'{raw}' isn't a weekday. Use one of: {', '.join(DAYS)}.")


_ZONES: set[str] | None = None


def to_timezone(raw: str, allow_member_local: bool = False) -> str:
    global _ZONES
    if allow_member_local and raw.lower() == "member-local":
        return "member-local"
    if raw.upper() == "UTC":
        return "UTC"
    if _ZONES is None:
        _ZONES = available_timezones()
    if raw not in _ZONES:
        close = difflib.get_close_matches(raw, sorted(_ZONES), n=1)
        hint = f" Did you mean {close[0]}?" if close else ""
        raise ParseError(
            f"'{raw}' isn't an IANA time zone. Use a name like Europe/Berlin or America/New_York.{hint}"
        )
    ZoneInfo(raw)
    return raw


def to_weights(raw: str) -> dict[str, float]:
    """`interests:2,department:-1` → {"interests": 2.0, "department": -1.0}. A negative
    department weight keeps teams together; a positive one mixes them."""
    out: dict[str, float] = {}
    for part in [p.strip() for p in raw.split(",") if p.strip()]:
        key, sep, value = part.partition(":")
        key = key.strip().lower()
        if not sep or key not in WEIGHT_KEYS:
            raise ParseError(f"I couldn't read weight '{part}'. Use name:number with names from "
                             f"{', '.join(WEIGHT_KEYS)}, e.g. weights=interests:2,department:-1.")
        try:
            number = float(value)
        except ValueError:
            raise ParseError(f"'{value}' isn't a number (in weight '{part}').") from None
        if not -10 <= number <= 10:
            raise ParseError(f"Weights go from -10 to 10; {key} was {number:g}.")
        out[key] = number
    if not out:
        raise ParseError("Give at least one weight, e.g. weights=interests:2.")
    return out


def check_text(raw: str, what: str = "text") -> str:
    text = raw.strip()
    if not text:
        raise ParseError(f"The {what} is empty.")
    if len(text) > MAX_TEXT:
        raise ParseError(
            f"That {what} is {len(text):,} characters; the limit is {MAX_TEXT:,}. "
            "Nothing was saved: shorten it and send it again."
        )
    return text


def to_list(raw: str) -> list[str]:
    return [p.strip().lower() for p in re.split(r"[,;]", raw) if p.strip()]


def to_availability(raw: str) -> list[list[Any]]:
    """`mon 9-12, wed 14-17, weekdays 9-17` → [["mon", 9, 12], ...] in the member's zone."""
    out: list[list[Any]] = []
    for part in [p.strip() for p in raw.split(",") if p.strip()]:
        m = re.fullmatch(r"([A-Za-z]+)\s+(\d{1,2})(?::00)?\s*-\s*(\d{1,2})(?::00)?", part)
        if not m:
            raise ParseError(
                f"I couldn't read availability '{part}'. Use day and hours, like 'mon 9-12, wed 14-17' "
                "or 'weekdays 9-17'."
            )
        day, start, end = m.group(1).lower(), int(m.group(2)), int(m.group(3))
        if not (0 <= start < end <= 24):
            raise ParseError(f"Hours in '{part}' must be from 0 to 24, start before end.")
        days = list(DAYS[:5]) if day in ("weekdays", "weekday") else [to_day(day)]
        out.extend([d, start, end] for d in days)
    return out


# ------------------------------------------------------------------- requests


@dataclass(frozen=True)
class Request:
    """Base of every typed request; ``coordinator_only`` is looked up from the spec."""


@dataclass(frozen=True)
class Help(Request):
    topic: str = ""


@dataclass(frozen=True)
class Join(Request):
    role: str = "peer"
    program: str = ""


@dataclass(frozen=True)
class ProfileShow(Request):
    pass


@dataclass(frozen=True)
class ProfileEdit(Request):
    pass


@dataclass(frozen=True)
class ProfileSet(Request):
    values: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Pause(Request):
    until: dt.date = dt.date.max


@dataclass(frozen=True)
class Resume(Request):
    pass


@dataclass(frozen=True)
class Leave(Request):
    pass


@dataclass(frozen=True)
class Status(Request):
    pass


@dataclass(frozen=True)
class Answers(Request):
    pass


@dataclass(frozen=True)
class Answer(Request):
    text: str = ""


@dataclass(frozen=True)
class CheckInCmd(Request):
    status: str = "met"


@dataclass(frozen=True)
class PulseCmd(Request):
    rating: int = 3
    comment: str = ""


@dataclass(frozen=True)
class GoalSet(Request):
    text: str = ""
    due: dt.date | None = None


@dataclass(frozen=True)
class GoalDone(Request):
    number: int = 0


@dataclass(frozen=True)
class GoalNote(Request):
    number: int = 0
    text: str = ""


@dataclass(frozen=True)
class GoalList(Request):
    pass


@dataclass(frozen=True)
class ProgramCreate(Request):
    name: str = ""
    kind: str = "peer"
    size: tuple[int, int] = (4, 6)
    cadence: str = "weekly"
    day: str = "mon"
    time: str = "10:00"
    tz: str = "UTC"
    weeks: int = 6
    repeat: int = 3
    hours: int = 1
    weights: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class ProgramSet(Request):
    """Change a program's settings; only the options given change."""

    name: str = ""
    size: tuple[int, int] | None = None
    cadence: str | None = None
    day: str | None = None
    time: str | None = None
    tz: str | None = None
    weeks: int | None = None
    repeat: int | None = None
    hours: int | None = None
    weights: dict[str, float] | None = None


@dataclass(frozen=True)
class ProgramOpen(Request):
    name: str = ""


@dataclass(frozen=True)
class ProgramClose(Request):
    name: str = ""


@dataclass(frozen=True)
class ProgramList(Request):
    pass


@dataclass(frozen=True)
class PromptAdd(Request):
    text: str = ""
    program: str = ""


@dataclass(frozen=True)
class RoundPreview(Request):
    program: str = ""
    seed: int | None = None


@dataclass(frozen=True)
class RoundMove(Request):
    member: MemberRef = MemberRef()
    circle: int = 0
    program: str = ""


@dataclass(frozen=True)
class RoundPublish(Request):
    program: str = ""


@dataclass(frozen=True)
class RoundEnd(Request):
    program: str = ""


@dataclass(frozen=True)
class Health(Request):
    program: str = ""


@dataclass(frozen=True)
class Rematch(Request):
    member: MemberRef = MemberRef()


@dataclass(frozen=True)
class CoordinatorsAdd(Request):
    member: MemberRef = MemberRef()


@dataclass(frozen=True)
class CoordinatorsList(Request):
    pass


# ----------------------------------------------------------------------- spec


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
    help: str = ""


@dataclass(frozen=True)
class CommandSpec:
    path: tuple[str, ...]
    summary: str
    request: type[Request]
    args: tuple[Arg, ...] = ()
    coordinator_only: bool = False
    example: str = ""

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
                    token = f'"{a.name}"'
                if a.keyword:
                    token = f"{a.keyword} {token}"
            parts.append(token if a.required else f"[{token}]")
        return " ".join(parts)


PLACEHOLDERS = {"date": "YYYY-MM-DD", "member": "@member", "rating": "1-5", "goal_number": "N",
                "circle_number": "N", "size": "4-6", "day": "mon..sun", "time": "HH:MM",
                "program_tz": "Area/City|member-local", "weeks": "N", "repeat": "N", "hours": "N",
                "seed": "N", "word": '"Name"', "weights": "interests:2,department:-1"}


def _a(name: str, type_: str, **kw: Any) -> Arg:
    return Arg(name, type_, **kw)


PROGRAM_OPT = _a("program", "word", option=True, help="program name, when there is more than one")
# what `program create` sets and `program set` changes
PROGRAM_SETTINGS = (
    _a("size", "size", option=True),
    _a("cadence", "choice", option=True, choices=("weekly", "biweekly")),
    _a("day", "day", option=True), _a("time", "time", option=True),
    _a("tz", "program_tz", option=True), _a("weeks", "weeks", option=True),
    _a("repeat", "repeat", option=True), _a("hours", "hours", option=True),
    _a("weights", "weights", option=True),
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
                (_a("text", "text", required=True),), example='/circle answer "I shipped my first talk"'),
    CommandSpec(("checkin",), "Tell us whether your circle met this week", CheckInCmd,
                (_a("status", "checkin", required=True, choices=("yes", "not-yet", "skipped")),)),
    CommandSpec(("pulse",), "Rate this week in your circle from 1 to 5", PulseCmd,
                (_a("rating", "rating", required=True), _a("comment", "text")),
                example='/circle pulse 4 "good energy"'),
    CommandSpec(("goal", "set"), "Set a goal, optionally with a due date", GoalSet,
                (_a("text", "text", required=True), _a("due", "date", keyword="by")),
                example='/circle goal set "Give a lightning talk" by 2027-02-01'),
    CommandSpec(("goal", "done"), "Mark goal N as done", GoalDone,
                (_a("number", "goal_number", required=True),), example="/circle goal done 1"),
    CommandSpec(("goal", "note"), "Add a progress note to goal N", GoalNote,
                (_a("number", "goal_number", required=True), _a("text", "text", required=True)),
                example='/circle goal note 1 "Outline written"'),
    CommandSpec(("goal", "list"), "List your goals", GoalList),
    CommandSpec(("program", "create"), "Create a program", ProgramCreate,
                (_a("name", "text", required=True),
                 _a("kind", "kind", option=True, choices=tuple(KINDS)), *PROGRAM_SETTINGS),
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
    CommandSpec(("prompt", "add"), "Add a custom prompt to a program", PromptAdd,
                (_a("text", "text", required=True), PROGRAM_OPT), coordinator_only=True),
    CommandSpec(("round", "preview"), "Form a draft round and show it", RoundPreview,
                (PROGRAM_OPT, _a("seed", "seed", option=True)), coordinator_only=True),
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
                (_a("member", "member", required=True),), coordinator_only=True),
    CommandSpec(("coordinators", "list"), "List coordinators", CoordinatorsList),
]
SPEC_BY_REQUEST: dict[type[Request], CommandSpec] = {s.request: s for s in SPECS}
GROUPS = sorted({s.path[0] for s in SPECS if len(s.path) > 1})


def spec_for(request: Request) -> CommandSpec:
    return SPEC_BY_REQUEST[type(request)]


# --------------------------------------------------------------------- parser


def convert_arg(arg: Arg, raw: str, today: dt.date | None) -> Any:
    t = arg.type
    if t in ("word", "rest"):
        return raw
    if t == "text":
        return check_text(raw, arg.name if arg.name != "text" else "text")
    if t == "choice":
        low = raw.lower()
        if low not in arg.choices:
            raise ParseError(f"'{raw}' isn't a valid {arg.name}. Choose one of: {', '.join(arg.choices)}.")
        return low
    if t == "kind":
        low = raw.lower()
        if low not in KINDS:
            raise ParseError(f"'{raw}' isn't a circle kind. Choose one of: {', '.join(KINDS)}.")
        return KINDS[low]
    if t == "checkin":
        low = raw.lower()
        if low not in CHECKIN:
            raise ParseError(f"'{raw}' isn't a check-in answer. Use yes, not-yet or skipped.")
        return CHECKIN[low]
    if t == "date":
        return to_date(raw, today)
    if t == "rating":
        return to_int(raw, 1, 5, "the rating")
    if t == "goal_number":
        return to_int(raw, 1, 10_000, "the goal number")
    if t == "circle_number":
        return to_int(raw, 1, 100_000, "the circle number")
    if t == "weeks":
        return to_int(raw, 1, 52, "the number of weeks")
    if t == "repeat":
        return to_int(raw, 0, 52, "the repeat window")
    if t == "hours":
        return to_int(raw, 0, 40, "the shared hours")
    if t == "seed":
        return to_int(raw, 0, 2**31 - 1, "the seed")
    if t == "size":
        return to_size(raw)
    if t == "day":
        return to_day(raw)
    if t == "time":
        return to_time(raw)
    if t == "program_tz":
        return to_timezone(raw, allow_member_local=True)
    if t == "member":
        return to_member(raw)
    if t == "weights":
        return to_weights(raw)
    raise AssertionError(f"unknown arg type {t}")


def parse_profile_values(options: dict[str, str]) -> dict[str, Any]:
    """Validate `profile set` / profile-form values into engine fields."""
    out: dict[str, Any] = {}
    for key, raw in options.items():
        if key not in PROFILE_KEYS:
            raise ParseError(
                f"I don't know the profile field '{key}'. Fields: {', '.join(PROFILE_KEYS)}."
            )
        raw = raw.strip()
        if key == "role":
            if raw.lower() not in ROLES:
                raise ParseError(f"'{raw}' isn't a role. Choose one of: {', '.join(ROLES)}.")
            out["role"] = raw.lower()
        elif key == "experience":
            out["experience"] = to_int(raw, 1, 5, "experience (1 new … 5 expert)")
        elif key == "capacity":
            out["mentor_capacity"] = to_int(raw, 1, 10, "mentor capacity")
        elif key == "department":
            out["department"] = check_text(raw, "department")[:100] if raw else ""
        elif key in ("interests", "goals", "offers", "wants"):
            check_text(raw or "-", key)
            name = {"offers": "skills_offered", "wants": "skills_wanted"}.get(key, key)
            out[name] = to_list(raw)
        elif key == "timezone":
            out["timezone"] = to_timezone(raw)
        elif key == "availability":
            out["availability"] = to_availability(raw) if raw else []
        elif key == "avoid":  # "never with" opt-outs; resolved to members by the core
            out["avoid"] = [to_member(x.strip()) for x in re.split(r"[,\s]+", raw) if x.strip()]
    return out


def _tokenize(text: str) -> list[str]:
    # Slack and phones turn quotes curly; accept them as plain quotes.
    text = text.replace("“", '"').replace("”", '"').replace("‘", "'").replace("’", "'")
    try:
        return shlex.split(text)
    except ValueError:
        raise ParseError("A quote is missing its closing partner: check your \" marks.") from None


def find_spec(tokens: list[str]) -> tuple[CommandSpec, list[str]]:
    if not tokens:
        return SPEC_BY_REQUEST[Help], []
    low = [t.lower() for t in tokens]
    best: CommandSpec | None = None
    for spec in SPECS:
        n = len(spec.path)
        if tuple(low[:n]) == spec.path and (best is None or n > len(best.path)):
            best = spec
    if best is not None:
        return best, tokens[len(best.path):]
    if low[0] in GROUPS:
        subs = [s.path[1] for s in SPECS if s.path[0] == low[0] and len(s.path) > 1]
        what = f"'{tokens[1]}' isn't a {low[0]} command" if len(tokens) > 1 else f"'{low[0]}' needs a subcommand"
        raise ParseError(f"{what}. Try one of: {', '.join(subs)}.", f"/circle {low[0]} {subs[0]} ...")
    names = sorted({s.path[0] for s in SPECS})
    close = difflib.get_close_matches(low[0], names, n=1)
    hint = f" Did you mean `/circle {close[0]}`?" if close else ""
    raise ParseError(f"I don't know the command '{tokens[0]}'.{hint} Type `/circle help` to see them all.")


def parse(text: str, today: dt.date | None = None) -> Request:
    """Parse the text after `/circle` into a typed request, or raise ParseError."""
    if len(text) > MAX_TEXT + 500:
        raise ParseError(
            f"That message is {len(text):,} characters; the limit is {MAX_TEXT:,}. Nothing was saved."
        )
    spec, rest = find_spec(_tokenize(text))
    try:
        return _parse_args(spec, rest, today)
    except ParseError as exc:
        raise ParseError(exc.message, exc.usage or spec.usage) from None


def _parse_args(spec: CommandSpec, tokens: list[str], today: dt.date | None) -> Request:
    values: dict[str, Any] = {}
    options = {a.name: a for a in spec.args if a.option}
    positionals = [a for a in spec.args if not a.option]
    if positionals and positionals[0].type == "profile_options":
        opts: dict[str, str] = {}
        for tok in tokens:
            key, eq, value = tok.partition("=")
            if not eq:
                raise ParseError(f"'{tok}' should look like key=value, e.g. timezone=Europe/Berlin.")
            opts[key.lower()] = value
        if not opts:
            raise ParseError("Tell me which fields to change, e.g. timezone=Europe/Berlin.")
        return ProfileSet(values=parse_profile_values(opts))
    if positionals and positionals[0].type == "rest":
        return spec.request(**{positionals[0].name: " ".join(tokens).lower()})

    free: list[str] = []
    for tok in tokens:
        key, eq, value = tok.partition("=")
        if eq and key.lower() in options:
            values[key.lower()] = convert_arg(options[key.lower()], value, today)
        elif eq and re.fullmatch(r"[a-z_]+", key.lower()) and (options or not positionals):
            known = ", ".join(options) or "none"
            raise ParseError(f"'{key}' isn't an option here. Options: {known}.")
        else:
            free.append(tok)

    keywords = {a.keyword for a in positionals if a.keyword}
    i = 0
    for idx, arg in enumerate(positionals):
        if i < len(free) and arg.keyword and free[i].lower() == arg.keyword:
            i += 1
        if i >= len(free):
            if arg.required:
                raise ParseError(f"The {arg.name} is missing.")
            continue
        later = positionals[idx + 1 :]
        if arg.type == "text" and not any(a.type == "text" for a in later):
            # unquoted free text runs to the next keyword (e.g. `by`) or the end
            j = i
            while j < len(free) and free[j].lower() not in keywords:
                j += 1
            if j == i:
                if arg.required:
                    raise ParseError(f"The {arg.name} is missing.")
                continue
            values[arg.name] = convert_arg(arg, " ".join(free[i:j]), today)
            i = j
        else:
            values[arg.name] = convert_arg(arg, free[i], today)
            i += 1
    if i < len(free):
        extra = " ".join(free[i:])
        raise ParseError(f"I didn't expect '{extra}' here.")
    return spec.request(**values)


def request_fields(request: Request) -> dict[str, Any]:
    return {f.name: getattr(request, f.name) for f in fields(request)}


# ----------------------------------------------------------------------- help


def help_text(topic: str = "", coordinator: bool = False) -> tuple[str, list[tuple[str, str]]]:
    """(title, [(usage, summary)]) for all commands or those matching a topic."""
    topic = topic.strip().lower()
    chosen = [s for s in SPECS if not topic or s.path[0] == topic or s.name == topic]
    if topic and not chosen:
        raise ParseError(f"There's no help topic '{topic}'. Type `/circle help` for everything.")
    if not topic and not coordinator:
        chosen = [s for s in chosen if not s.coordinator_only]
    rows = []
    for s in chosen:
        summary = s.summary + (" (coordinators)" if s.coordinator_only else "")
        if topic and s.example:
            summary += f" — e.g. `{s.example}`"
        rows.append((s.usage, summary))
    title = f"/circle {topic}" if topic else "Circlebot commands"
    return title, rows
