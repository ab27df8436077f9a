"""perf13 indexes: the access paths of the set-based sweep and of health at 10,000 circles

- ``circles (round_id, number)``: every sweep and health report reads one round's circles
  in number order.
  (With one round PostgreSQL rightly scans; with many past rounds this keeps a sweep's cost
  to its own round.)

Health's plans were checked with EXPLAIN ANALYZE at 300 and 2,000 circles
(``benchmarks/health.py --explain``): its per-circle aggregates read every row of the round
on purpose, and PostgreSQL picks a (parallel) sequential scan over any index for them; the
silent-member rule probes the unique ``responses (prompt_post_id, member_id)`` index with an
index-only scan. Indexes tried for the aggregates (responses by post and time, pulses by
member and rating) went unused and are not added. The sweep's "already done?" and "already
queued?" look-ups are by the unique ``job_runs`` / ``outbox (workspace_id, key)`` keys.


Revision ID: 0004_perf13
Revises: 0003_twice10
Create Date: 2026-11-23 23:55:00
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0004_perf13'
down_revision: str | None = '0003_twice10'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ("ix_circles_round_number", "circles", ["round_id", "number"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
