"""Typed button and form actions, and the one codec that spells them.

A button carries ``(action, value)``: the action names the class, the value its fields joined
by ``:``. Adapters put both into the platform's custom id unchanged, so a press still means the
same after a restart. Anything that does not decode (an unknown name, a tampered value, an id
out of range) raises `BadAction`, which the bot answers with a friendly error.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar, TypeVar

MAX_ID = 2**63 - 1  # the largest id a BIGINT column holds


class BadAction(ValueError):
    """A button press or form submission that is not one of ours (or was tampered with)."""


A = TypeVar("A")
ACTIONS: dict[str, type] = {}


def action(name: str):  # type: ignore[no-untyped-def]
    """Register a frozen dataclass as the action spelled ``name``."""

    def register(cls: type[A]) -> type[A]:
        if name in ACTIONS:
            raise ValueError(f"action {name} registered twice")
        cls.name = name  # type: ignore[attr-defined]
        ACTIONS[name] = cls
        return cls

    return register


class Action:
    name: ClassVar[str]

    def encode(self) -> tuple[str, str]:
        values = [str(getattr(self, f.name)) for f in dataclasses.fields(self)]  # type: ignore[arg-type]
        return self.name, ":".join(values)


def _convert(raw: str, kind: Any) -> Any:
    if kind in (int, "int"):
        if not raw.isdigit() or len(raw) > 19 or not 0 <= int(raw) <= MAX_ID:
            raise BadAction(raw)
        return int(raw)
    return raw


def decode(name: str, value: str) -> Action:
    cls = ACTIONS.get(name)
    if cls is None:
        raise BadAction(name)
    fields = dataclasses.fields(cls)
    parts = value.split(":") if fields else []
    if len(parts) != len(fields) or (not fields and value):
        raise BadAction(value)
    obj = cls(**{f.name: _convert(p, f.type) for f, p in zip(fields, parts, strict=True)})
    check = getattr(obj, "validate", None)
    if check is not None and not check():
        raise BadAction(value)
    return obj  # type: ignore[no-any-return]


# --------------------------------------------------------------------------- buttons


@action("answer")
@dataclasses.dataclass(frozen=True)
class AnswerPrompt(Action):
    post_id: int


@action("checkin")
@dataclasses.dataclass(frozen=True)
class CheckinPress(Action):
    circle_id: int
    cycle: int
    status: str

    def validate(self) -> bool:
        return self.status in ("met", "not_yet", "skipped")


@action("pulse")
@dataclasses.dataclass(frozen=True)
class PulsePress(Action):
    circle_id: int
    cycle: int
    rating: int

    def validate(self) -> bool:
        return 1 <= self.rating <= 5


@action("pulse_comment")
@dataclasses.dataclass(frozen=True)
class PulseComment(Action):
    circle_id: int
    cycle: int


@action("profile_edit")
@dataclasses.dataclass(frozen=True)
class EditProfile(Action):
    pass


@action("cancel")
@dataclasses.dataclass(frozen=True)
class Cancel(Action):
    pending_id: int


@action("confirm_leave")
@dataclasses.dataclass(frozen=True)
class ConfirmLeave(Action):
    pending_id: int


@action("confirm_rematch")
@dataclasses.dataclass(frozen=True)
class ConfirmRematch(Action):
    pending_id: int


@action("confirm_round_end")
@dataclasses.dataclass(frozen=True)
class ConfirmRoundEnd(Action):
    pending_id: int


@action("publish_round")
@dataclasses.dataclass(frozen=True)
class PublishRound(Action):
    program_id: int


@action("reshuffle_round")
@dataclasses.dataclass(frozen=True)
class ReshuffleRound(Action):
    program_id: int


@action("goal_done")
@dataclasses.dataclass(frozen=True)
class GoalDone(Action):
    goal_id: int


@action("goal_keep")
@dataclasses.dataclass(frozen=True)
class GoalKeep(Action):
    goal_id: int


@action("rematch_member")
@dataclasses.dataclass(frozen=True)
class RematchMember(Action):
    """`/circle health`'s one-press rematch: opens the usual rematch confirmation."""

    member_id: int


@action("health_page")
@dataclasses.dataclass(frozen=True)
class HealthPage(Action):
    """The rest of a big program's circles, a page at a time (1-based)."""

    program_id: int
    page: int


@action("confirm_program_delete")
@dataclasses.dataclass(frozen=True)
class ConfirmProgramDelete(Action):
    pending_id: int


@action("choose_circle")
@dataclasses.dataclass(frozen=True)
class ChooseCircle(Action):
    """Which circle a parked answer, check-in or pulse is for (the press carries the choice)."""

    pending_id: int
    circle_id: int


# ----------------------------------------------------------------------------- forms
# A form's id and context use the same codec: the id is the action name, the context its value.


@action("form:profile")
@dataclasses.dataclass(frozen=True)
class ProfileForm(Action):
    pass


@action("form:answer")
@dataclasses.dataclass(frozen=True)
class AnswerForm(Action):
    post_id: int


@action("form:pulse_comment")
@dataclasses.dataclass(frozen=True)
class PulseCommentForm(Action):
    circle_id: int
    cycle: int


# ------------------------------------------------------- closing survey, privacy12


@action("survey_helped")
@dataclasses.dataclass(frozen=True)
class SurveyHelped(Action):
    round_id: int
    rating: int

    def validate(self) -> bool:
        return 1 <= self.rating <= 5


@action("survey_join")
@dataclasses.dataclass(frozen=True)
class SurveyJoin(Action):
    round_id: int
    answer: str

    def validate(self) -> bool:
        return self.answer in ("yes", "no")


@action("survey_open")
@dataclasses.dataclass(frozen=True)
class SurveyOpen(Action):
    round_id: int


@action("form:survey")
@dataclasses.dataclass(frozen=True)
class SurveyForm(Action):
    round_id: int


@action("confirm_forget")
@dataclasses.dataclass(frozen=True)
class ConfirmForget(Action):
    pending_id: int


def form_id(form: Action) -> tuple[str, str]:
    """(form id, context) as a `Form` carries them."""
    name, value = form.encode()
    return name.removeprefix("form:"), value


def decode_form(form_id: str, context: str) -> Action:
    return decode(f"form:{form_id}", context)
