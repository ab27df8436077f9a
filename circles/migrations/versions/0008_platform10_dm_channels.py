"""platform10: a stored direct-message channel per user

``dm_channels (workspace_id, user) -> channel``: the delivery worker reuses the DM channel a
platform gave for a user instead of opening one per message (opening one is rate limited),
and replaces it when the platform says the channel is gone.

Revision ID: 0008_platform10
Revises: 0004_perf13
Create Date: 2026-11-24 01:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008_platform10'
down_revision: str | None = '0005_roles11'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dm_channels",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("workspace_id", sa.Integer(), sa.ForeignKey("workspaces.id"), nullable=False),
        sa.Column("user", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("workspace_id", "user", name="uq_dm_channels_user"),
    )
    op.create_index("ix_dm_channels_workspace_id", "dm_channels", ["workspace_id"])


def downgrade() -> None:
    op.drop_index("ix_dm_channels_workspace_id", table_name="dm_channels")
    op.drop_table("dm_channels")
