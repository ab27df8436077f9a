"""Typed requests: what a `/circle` command means, parsed once.

Handlers dispatch on the request's type; ``coordinator_only`` and the usage come from the
spec (``bot.commands.spec``), so a request class carries data only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields
from typing import Any


@dataclass(frozen=True)
class MemberRef:
    """A member as the user typed it: a platform mention (`<@U123>`) or a name (`@alice`)."""

    external_id: str | None = None
    name: str | None = None

    def __str__(self) -> str:
        return f"<@{self.external_id}>" if self.external_id else f"@{self.name}"



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
    program: str = ""  # which circle, for someone in circles of several programs
    circle: int | None = None


@dataclass(frozen=True)
class CheckInCmd(Request):
    status: str = "met"
    program: str = ""
    circle: int | None = None


@dataclass(frozen=True)
class PulseCmd(Request):
    rating: int = 3
    comment: str = ""
    program: str = ""
    circle: int | None = None


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
    fresh: str = ""  # "fresh": form the draft again even when it was adjusted by hand


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


@dataclass(frozen=True)
class CoordinatorsRemove(Request):
    member: MemberRef = MemberRef()


@dataclass(frozen=True)
class GoalEdit(Request):
    number: int = 0
    text: str = ""
    due: dt.date | None = None


@dataclass(frozen=True)
class GoalDelete(Request):
    number: int = 0


@dataclass(frozen=True)
class PromptList(Request):
    program: str = ""


@dataclass(frozen=True)
class PromptRemove(Request):
    number: int = 0
    program: str = ""


@dataclass(frozen=True)
class ProgramRename(Request):
    name: str = ""
    new_name: str = ""


@dataclass(frozen=True)
class HealthChart(Request):
    program: str = ""


@dataclass(frozen=True)
class Export(Request):
    program: str = ""


@dataclass(frozen=True)
class ProgramDelete(Request):
    name: str = ""


def request_fields(request: Request) -> dict[str, Any]:
    return {f.name: getattr(request, f.name) for f in fields(request)}


# ------------------------------------------------------------------ privacy12


@dataclass(frozen=True)
class HealthRounds(Request):
    program: str = ""


@dataclass(frozen=True)
class ExportMe(Request):
    pass


@dataclass(frozen=True)
class ForgetMe(Request):
    pass
@dataclass(frozen=True)
class HealthCircle(Request):
    number: int = 0
    program: str = ""
