"""perf13 indexes: the access paths of the set-based sweep and of health at 10,000 circles

- ``circles (round_id, number)``: every sweep and health report reads one round's circles
  in number order.
- ``responses (prompt_post_id, created_at)``: health counts each circle's answers and finds
  the latest one; with the answer time in the index PostgreSQL can answer from the index
  alone (an index-only scan) instead of reading a million answer texts.
- ``pulses (member_id, rating)``: who rated their circles low, per member, without a scan.

The lead chains the wave's several 0003 revisions at merge.

Revision ID: 0003_perf13
Revises: 0002
Create Date: 2026-11-23 23:55:00
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0003_perf13'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ("ix_circles_round_number", "circles", ["round_id", "number"]),
    ("ix_responses_post_created", "responses", ["prompt_post_id", "created_at"]),
    ("ix_pulses_member_rating", "pulses", ["member_id", "rating"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
