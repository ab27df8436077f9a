"""dedupe: requests taken in once, and goal numbers unique per member

Adds ``processed_requests`` (durable de-duplication of replayed requests and retried events,
shared by every replica) and a unique key on ``goals (member_id, number)``. Goals that an
earlier race gave the same number are renumbered after the member's highest first, so the
key can be created on existing data.

Revision ID: 0003_twice10
Revises: 0002
Create Date: 2026-11-23 23:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003_twice10'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

goals = sa.table("goals", sa.column("id", sa.Integer), sa.column("member_id", sa.Integer),
                 sa.column("number", sa.Integer))


def upgrade() -> None:
    op.create_table(
        "processed_requests",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("scope", sa.String(length=100), nullable=False),
        sa.Column("fingerprint", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("scope", "fingerprint", name="uq_processed_requests"),
    )
    op.create_index("ix_processed_requests_created_at", "processed_requests", ["created_at"])
    bind = op.get_bind()
    rows = bind.execute(sa.select(goals.c.id, goals.c.member_id, goals.c.number)
                        .order_by(goals.c.member_id, goals.c.number, goals.c.id)).all()
    top: dict[int, int] = {}
    for _, member, number in rows:
        top[member] = max(top.get(member, 0), number)
    seen: set[tuple[int, int]] = set()
    for goal_id, member, number in rows:
        if (member, number) in seen:
            top[member] += 1
            bind.execute(goals.update().where(goals.c.id == goal_id)
                         .values(number=top[member]))
        else:
            seen.add((member, number))
    with op.batch_alter_table("goals") as batch:
        batch.create_unique_constraint("uq_goals_member_number", ["member_id", "number"])


def downgrade() -> None:
    with op.batch_alter_table("goals") as batch:
        batch.drop_constraint("uq_goals_member_number", type_="unique")
    op.drop_index("ix_processed_requests_created_at", table_name="processed_requests")
    op.drop_table("processed_requests")
