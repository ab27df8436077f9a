"""privacy12: the closing survey's answers, and a workspace's purge date after an uninstall

- ``survey_responses``: one row per member per round (unique ``round_id, member_id``); after
  forget-me the row keeps its ratings with ``member_id`` NULL and no text (anonymous aggregate).
- ``workspaces.purge_after``: set when the app is uninstalled / the bot removed; the scheduler
  deletes the workspace's data once it has passed; a reinstall clears it.

Revision ID: 0006_privacy12
Revises: 0004_perf13
Create Date: 2026-11-24 01:10:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006_privacy12'
down_revision: str | None = '0004_perf13'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "survey_responses",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("workspace_id", sa.Integer(), sa.ForeignKey("workspaces.id"), nullable=False),
        sa.Column("round_id", sa.Integer(), sa.ForeignKey("rounds.id"), nullable=False),
        sa.Column("member_id", sa.Integer(), sa.ForeignKey("members.id"), nullable=True),
        sa.Column("helped", sa.Integer(), nullable=True),
        sa.Column("join_again", sa.Boolean(), nullable=True),
        sa.Column("suggestion", sa.Text(), nullable=False, server_default=""),
        sa.Column("goal_outcomes", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("round_id", "member_id", name="uq_survey_round_member"),
    )
    op.create_index("ix_survey_responses_workspace_id", "survey_responses", ["workspace_id"])
    op.create_index("ix_survey_responses_round_id", "survey_responses", ["round_id"])
    with op.batch_alter_table("workspaces") as batch:
        batch.add_column(sa.Column("purge_after", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("workspaces") as batch:
        batch.drop_column("purge_after")
    op.drop_index("ix_survey_responses_round_id", "survey_responses")
    op.drop_index("ix_survey_responses_workspace_id", "survey_responses")
    op.drop_table("survey_responses")
