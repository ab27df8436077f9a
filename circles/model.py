"""The persistent domain: every table that holds tenant data carries ``workspace_id``.

Tenancy is enforced structurally: rows reference their workspace, foreign keys to
other tenant rows are always looked up through :mod:`circles.repo` helpers that filter by
workspace, so a user id from one chat workspace can never reach another's data.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(DateTime):
    """Timezone-aware timestamps on both SQLite and PostgreSQL."""

    def __init__(self) -> None:
        super().__init__(timezone=True)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Workspace(Base):
    """One chat platform's workspace (or a console session): the tenant boundary."""

    __tablename__ = "workspaces"
    __table_args__ = (UniqueConstraint("platform", "external_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # set when the app is uninstalled: the scheduler deletes everything after it (privacy12)
    purge_after: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Member(Base):
    __tablename__ = "members"
    __table_args__ = (UniqueConstraint("workspace_id", "external_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    external_id: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    is_coordinator: Mapped[bool] = mapped_column(Boolean, default=False)
    # enrolled: wants to be matched; paused_until: skipped by matching and nudges until then
    enrolled: Mapped[bool] = mapped_column(Boolean, default=False)
    paused_until: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    profile: Mapped[Profile | None] = relationship(back_populates="member", uselist=False)


class Profile(Base):
    __tablename__ = "profiles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), unique=True)
    experience: Mapped[int] = mapped_column(Integer, default=2)  # 1..5
    department: Mapped[str] = mapped_column(String(100), default="")
    interests: Mapped[list[Any]] = mapped_column(default=list)
    goals: Mapped[list[Any]] = mapped_column(default=list)
    skills_offered: Mapped[list[Any]] = mapped_column(default=list)
    skills_wanted: Mapped[list[Any]] = mapped_column(default=list)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # [["mon", 9, 12], ...] in the member's own timezone
    availability: Mapped[list[Any]] = mapped_column(default=list)
    never_with: Mapped[list[Any]] = mapped_column(default=list)  # member ids
    # role and mentor capacity belong to an enrolment (ProgramMember), not to the person

    member: Mapped[Member] = relationship(back_populates="profile")


class Program(Base):
    __tablename__ = "programs"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32), default="peer")
    min_size: Mapped[int] = mapped_column(Integer, default=4)
    max_size: Mapped[int] = mapped_column(Integer, default=6)
    cadence: Mapped[str] = mapped_column(String(16), default="weekly")  # weekly|biweekly
    day: Mapped[str] = mapped_column(String(3), default="mon")
    time: Mapped[str] = mapped_column(String(5), default="10:00")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")  # or "member-local"
    enrolment_open: Mapped[bool] = mapped_column(Boolean, default=True)
    repeat_window: Mapped[int] = mapped_column(Integer, default=3)
    min_shared_hours: Mapped[int] = mapped_column(Integer, default=1)
    round_weeks: Mapped[int] = mapped_column(Integer, default=6)
    weights: Mapped[dict[str, Any]] = mapped_column(default=dict)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    hub_channel: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ProgramMember(Base):
    """Enrolment of a member in a program (a member may be in several programs)."""

    __tablename__ = "program_members"
    __table_args__ = (UniqueConstraint("program_id", "member_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    joined_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # one role per program: a mentor in the pods program can be a peer in another
    role: Mapped[str] = mapped_column(String(16), default="peer", server_default="peer")
    mentor_capacity: Mapped[int] = mapped_column(Integer, default=3, server_default="3")


class Round(Base):
    __tablename__ = "rounds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft|active|ended
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    seed: Mapped[int] = mapped_column(Integer, default=0)
    score: Mapped[float] = mapped_column(Float, default=0.0)
    broken_rules: Mapped[list[Any]] = mapped_column(default=list)
    waitlist: Mapped[dict[str, Any]] = mapped_column(default=dict)  # member id -> reason
    # the cadence/day/time/timezone the round was published with (None: the program's)
    schedule: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True, default=None)
    moves: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # manual moves
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    circles: Mapped[list[Circle]] = relationship(back_populates="round", order_by="Circle.number")


class Circle(Base):
    __tablename__ = "circles"
    __table_args__ = (Index("ix_circles_round_number", "round_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    explanation: Mapped[str] = mapped_column(Text, default="")
    score: Mapped[float] = mapped_column(Float, default=0.0)
    space_id: Mapped[str | None] = mapped_column(String(64), nullable=True)  # channel/thread id
    archived: Mapped[bool] = mapped_column(Boolean, default=False)

    round: Mapped[Round] = relationship(back_populates="circles")
    memberships: Mapped[list[Membership]] = relationship(back_populates="circle")


class Membership(Base):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("circle_id", "member_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    role: Mapped[str] = mapped_column(String(16), default="peer")  # peer|mentor|mentee
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # the newest cycle this member answered in this circle (kept by circles.health.tallies)
    last_answer_cycle: Mapped[int | None] = mapped_column(Integer, nullable=True)

    circle: Mapped[Circle] = relationship(back_populates="memberships")
    member: Mapped[Member] = relationship()


class PairHistory(Base):
    """Who has met whom, so matching can avoid repeats within a program's window."""

    __tablename__ = "pair_history"
    __table_args__ = (
        UniqueConstraint("round_id", "member_a", "member_b"),
        # 0008_perf13b: one member's pairs (late placement, rematch, joining) and a program's
        # window (matching) without reading every past round
        Index("ix_pair_history_member_a", "member_a", "program_id", "round_number"),
        Index("ix_pair_history_member_b", "member_b", "program_id", "round_number"),
        Index("ix_pair_history_program_round", "program_id", "round_number"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"), index=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    round_number: Mapped[int] = mapped_column(Integer)
    member_a: Mapped[int] = mapped_column(ForeignKey("members.id"))
    member_b: Mapped[int] = mapped_column(ForeignKey("members.id"))


class Prompt(Base):
    """A program's custom prompt; the built-in bank lives in code (circles.prompts)."""

    __tablename__ = "prompts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"), index=True)
    theme: Mapped[str] = mapped_column(String(64), default="custom")
    text: Mapped[str] = mapped_column(Text)


class PromptPost(Base):
    """One prompt posted to one circle in one cycle (week)."""

    __tablename__ = "prompt_posts"
    __table_args__ = (UniqueConstraint("circle_id", "cycle"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id"), index=True)
    cycle: Mapped[int] = mapped_column(Integer)  # 1-based week of the round
    prompt_key: Mapped[str] = mapped_column(String(64))  # "bank:<key>" or "custom:<id>"
    text: Mapped[str] = mapped_column(Text)
    message_ref: Mapped[str | None] = mapped_column(String(128), nullable=True)
    posted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Response(Base):
    __tablename__ = "responses"
    __table_args__ = (UniqueConstraint("prompt_post_id", "member_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    prompt_post_id: Mapped[int] = mapped_column(ForeignKey("prompt_posts.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CheckIn(Base):
    __tablename__ = "checkins"
    __table_args__ = (UniqueConstraint("circle_id", "cycle", "member_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id"), index=True)
    cycle: Mapped[int] = mapped_column(Integer)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    status: Mapped[str] = mapped_column(String(16))  # met|not_yet|skipped
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Pulse(Base):
    __tablename__ = "pulses"
    __table_args__ = (UniqueConstraint("circle_id", "cycle", "member_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id"), index=True)
    cycle: Mapped[int] = mapped_column(Integer)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    rating: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Goal(Base):
    __tablename__ = "goals"
    # one goal per number per member: two racing "goal set"s can't both become goal 1
    __table_args__ = (UniqueConstraint("member_id", "number", name="uq_goals_member_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)  # per-member number shown to the user
    text: Mapped[str] = mapped_column(Text)
    due_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    notes: Mapped[list[Any]] = mapped_column(default=list)  # [{"at": iso, "text": ...}]
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class OutboxMessage(Base):
    """A durable outgoing action, written in the same transaction as its cause.

    ``key`` is the idempotency key: inserting the same logical message twice is a no-op,
    and the delivery worker marks a row sent only after the platform accepted it.
    """

    __tablename__ = "outbox"
    __table_args__ = (UniqueConstraint("workspace_id", "key"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    key: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(32))  # post|dm|create_space|invite|archive_space
    target: Mapped[str] = mapped_column(String(128), default="")  # circle id / member id
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
    result_ref: Mapped[str | None] = mapped_column(String(128), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class JobRun(Base):
    """Marks a scheduled job occurrence as done, so a restart or a second scheduler
    never runs the same occurrence twice."""

    __tablename__ = "job_runs"
    __table_args__ = (UniqueConstraint("workspace_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    key: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="done")  # done|skipped
    note: Mapped[str] = mapped_column(Text, default="")
    ran_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    actor_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), nullable=True)
    kind: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Credential(Base):
    """A secret a chat platform handed us for one of its workspaces (for example the bot
    token from an app install), kept in our own database so every replica sees it.

    Keyed by the platform's own workspace key rather than ``workspaces.id``: an install
    arrives before the workspace's first request creates its tenant row, and removing an
    install must forget the secret while the tenant's history stays. ``data`` is opaque to
    the engine; only the adapter of ``platform`` reads and writes it.
    """

    __tablename__ = "credentials"
    __table_args__ = (UniqueConstraint("platform", "workspace_key", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    workspace_key: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class PendingAction(Base):
    """A confirmation a user must give before a destructive action (leave, rematch)."""

    __tablename__ = "pending_actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    kind: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ProcessedRequest(Base):
    """A request or event already taken in, keyed by where it came from and its fingerprint
    (a hash of the signed body, or the platform's event id). Inserted before the work
    starts; a second insert of the same key fails on the unique key, in this process or
    another replica, so a replay or a platform retry is executed once."""

    __tablename__ = "processed_requests"
    __table_args__ = (UniqueConstraint("scope", "fingerprint", name="uq_processed_requests"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(100))  # platform:workspace
    fingerprint: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class SurveyResponse(Base):
    """One member's closing survey for one round. Each answer is kept once (the first one);
    forget-me keeps the ratings with ``member_id`` NULL and no text, an anonymous aggregate.
    ``goal_outcomes`` maps the member's goal number to met|progressed|not_yet."""

    __tablename__ = "survey_responses"
    __table_args__ = (UniqueConstraint("round_id", "member_id", name="uq_survey_round_member"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), nullable=True)
    helped: Mapped[int | None] = mapped_column(Integer, nullable=True)  # 1..5
    join_again: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    suggestion: Mapped[str] = mapped_column(Text, default="", server_default="")
    goal_outcomes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class DmChannel(Base):
    """The direct-message channel the platform gave for one user, kept so every later DM
    reuses it instead of asking the platform to open one per message (opening one is rate
    limited). Replaced when the platform says the channel is gone."""

    __tablename__ = "dm_channels"
    __table_args__ = (UniqueConstraint("workspace_id", "user", name="uq_dm_channels_user"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    user: Mapped[str] = mapped_column(String(64))  # the platform's user id
    channel: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class CircleWeek(Base):
    """Tallies of one circle's cycle (answers, check-ins, pulses, last activity), kept in the
    same transaction as the answer, check-in and pulse they count (circles.health.tallies),
    so `/circle health` of 10,000 circles reads ~100,000 small rows instead of aggregating
    millions. A recount from the raw rows must always agree (specified in tests)."""

    __tablename__ = "circle_weeks"
    __table_args__ = (UniqueConstraint("circle_id", "cycle", name="uq_circle_weeks_circle_cycle"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id"))
    cycle: Mapped[int] = mapped_column(Integer)
    answers: Mapped[int] = mapped_column(Integer, default=0)
    checkins: Mapped[int] = mapped_column(Integer, default=0)
    met: Mapped[int] = mapped_column(Integer, default=0)
    pulses: Mapped[int] = mapped_column(Integer, default=0)
    pulse_sum: Mapped[int] = mapped_column(Integer, default=0)
    last_activity_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
