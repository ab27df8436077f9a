"""credentials: one platform-neutral table for the secrets platforms hand us

Replaces ``installations`` (bot token columns shaped after one platform's install) with
``credentials`` (platform, workspace key, kind, opaque JSON). Existing installs are copied
as kind ``bot``, with their token columns folded into the JSON, so nobody has to reinstall.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 22:30:00
"""
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KIND = "bot"
TOKEN_COLUMNS = ("enterprise_id", "bot_token", "bot_id", "bot_user_id")

old = sa.table(
    "installations",
    sa.column("platform", sa.String), sa.column("team_id", sa.String),
    sa.column("enterprise_id", sa.String), sa.column("bot_token", sa.Text),
    sa.column("bot_user_id", sa.String), sa.column("bot_id", sa.String),
    sa.column("data", sa.JSON), sa.column("installed_at", sa.DateTime(timezone=True)),
)
new = sa.table(
    "credentials",
    sa.column("platform", sa.String), sa.column("workspace_key", sa.String),
    sa.column("kind", sa.String), sa.column("data", sa.JSON),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("updated_at", sa.DateTime(timezone=True)),
)


def _create_installations() -> None:
    """The 0001 shape, for downgrade."""
    op.create_table('installations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('team_id', sa.String(length=64), nullable=False),
    sa.Column('enterprise_id', sa.String(length=64), nullable=True),
    sa.Column('bot_token', sa.Text(), nullable=False),
    sa.Column('bot_user_id', sa.String(length=64), nullable=False),
    sa.Column('bot_id', sa.String(length=64), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('installed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('platform', 'team_id')
    )


def upgrade() -> None:
    op.create_table('credentials',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('workspace_key', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('platform', 'workspace_key', 'kind')
    )
    conn = op.get_bind()
    rows: list[dict[str, Any]] = []
    for r in conn.execute(sa.select(old)).mappings():
        data = dict(r["data"] or {})
        # the columns were what the store trusted when it read a row back
        data.update({c: r[c] for c in TOKEN_COLUMNS})
        rows.append({"platform": r["platform"], "workspace_key": r["team_id"], "kind": KIND,
                     "data": data, "created_at": r["installed_at"],
                     "updated_at": r["installed_at"]})
    if rows:
        op.bulk_insert(new, rows)
    op.drop_table('installations')


def downgrade() -> None:
    """Back to ``installations``; only kind ``bot`` had a place there, others are dropped."""
    _create_installations()
    conn = op.get_bind()
    rows: list[dict[str, Any]] = []
    for r in conn.execute(sa.select(new).where(new.c.kind == KIND)).mappings():
        data = dict(r["data"] or {})
        rows.append({"platform": r["platform"], "team_id": r["workspace_key"],
                     "enterprise_id": data.get("enterprise_id"),
                     "bot_token": data.get("bot_token") or "",
                     "bot_user_id": data.get("bot_user_id") or "",
                     "bot_id": data.get("bot_id") or "", "data": data,
                     "installed_at": r["created_at"]})
    if rows:
        op.bulk_insert(old, rows)
    op.drop_table('credentials')
