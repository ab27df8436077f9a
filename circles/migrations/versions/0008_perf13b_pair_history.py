"""perf13b indexes: pair history by member and by program window

Matching reads a program's recent pairs (``program_id``, ``round_number`` window); late
placement and a rematch read only the pairs that include one member over that window
(``member_a = :me OR member_b = :me``); joining a circle reads that member's pairs in one
round. With only single-column indexes on workspace, program and round, PostgreSQL answered
the member look-ups by reading the whole window of the program (hundreds of thousands of
rows at 100,000 members) and filtering. The two member indexes turn them into a BitmapOr of
two index probes that read the member's few rows; ``(program_id, round_number)`` bounds
matching's read to the window instead of every past round. ``benchmarks/plans.py`` prints
the EXPLAIN ANALYZE times without and with these indexes (the figures are in the commit that
added this revision and in the closing note of issue 13).

Revision ID: 0008_perf13b
Revises: 0004_perf13
Create Date: 2026-11-24 01:15:00
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0008_perf13b'
down_revision: str | None = '0008_platform10'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ("ix_pair_history_member_a", "pair_history", ["member_a", "program_id", "round_number"]),
    ("ix_pair_history_member_b", "pair_history", ["member_b", "program_id", "round_number"]),
    ("ix_pair_history_program_round", "pair_history", ["program_id", "round_number"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
