"""roles11: a role (and a mentor's capacity) belongs to an enrolment, not to the person

- ``program_members.role`` / ``program_members.mentor_capacity``: joining the pods program as
  a mentor no longer makes someone a mentor in the peer program. Backfilled from each
  member's profile (the one global value they had), then ``profiles.role`` and
  ``profiles.mentor_capacity`` are dropped. Downgrading puts them back on the profile from
  the member's most recent enrolment (or the old defaults).
- ``rounds.schedule``: the cadence, weekday, time and time zone a round was published with,
  so ``program set`` during a running round changes the next round, never the running one
  (a re-timed round could send a check-in after the next prompt).
- ``rounds.moves``: how many manual ``round move``s a draft has, so ``round preview`` shows
  the adjusted draft instead of silently forming a new one.

Revision ID: 0005_roles11
Revises: 0006_privacy12 (chained after it when main was merged in)
Create Date: 2026-11-24 01:10:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005_roles11'
down_revision: str | None = '0006_privacy12'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

profiles = sa.table("profiles", sa.column("member_id", sa.Integer),
                    sa.column("role", sa.String), sa.column("mentor_capacity", sa.Integer))
enrolments = sa.table("program_members", sa.column("id", sa.Integer),
                      sa.column("member_id", sa.Integer), sa.column("role", sa.String),
                      sa.column("mentor_capacity", sa.Integer))


def upgrade() -> None:
    with op.batch_alter_table("program_members") as batch:
        batch.add_column(sa.Column("role", sa.String(length=16), nullable=False,
                                   server_default="peer"))
        batch.add_column(sa.Column("mentor_capacity", sa.Integer(), nullable=False,
                                   server_default="3"))
    bind = op.get_bind()
    for member_id, role, capacity in bind.execute(
            sa.select(profiles.c.member_id, profiles.c.role, profiles.c.mentor_capacity)).all():
        bind.execute(enrolments.update().where(enrolments.c.member_id == member_id)
                     .values(role=role or "peer", mentor_capacity=capacity if capacity is not None else 3))
    with op.batch_alter_table("profiles") as batch:
        batch.drop_column("role")
        batch.drop_column("mentor_capacity")
    with op.batch_alter_table("rounds") as batch:
        batch.add_column(sa.Column("schedule", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("moves", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("rounds") as batch:
        batch.drop_column("moves")
        batch.drop_column("schedule")
    with op.batch_alter_table("profiles") as batch:
        batch.add_column(sa.Column("role", sa.String(length=16), nullable=False,
                                   server_default="peer"))
        batch.add_column(sa.Column("mentor_capacity", sa.Integer(), nullable=False,
                                   server_default="3"))
    bind = op.get_bind()
    latest: dict[int, tuple[str, int]] = {}
    for _, member_id, role, capacity in bind.execute(
            sa.select(enrolments.c.id, enrolments.c.member_id, enrolments.c.role,
                      enrolments.c.mentor_capacity).order_by(enrolments.c.id)).all():
        latest[member_id] = (role, capacity)
    for member_id, (role, capacity) in latest.items():
        bind.execute(profiles.update().where(profiles.c.member_id == member_id)
                     .values(role=role, mentor_capacity=capacity))
    with op.batch_alter_table("program_members") as batch:
        batch.drop_column("mentor_capacity")
        batch.drop_column("role")
