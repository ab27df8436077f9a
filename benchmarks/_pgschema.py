"""A PostgreSQL schema of its own for one benchmark run: migrated on entry, dropped on exit,
so a run never collides with tests or another benchmark and leaves nothing behind."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine, text

from circles.db import normalize_url, upgrade

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"


def bench_url() -> str:
    return os.environ.get("CIRCLES_BENCH_DATABASE_URL", DEFAULT_URL)


@contextmanager
def bench_schema(prefix: str) -> Iterator[Engine]:
    url = normalize_url(bench_url())
    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = create_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        upgrade(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def analyze(engine: Engine) -> None:
    """What autovacuum would have done by the time such a workspace exists: fresh
    statistics and a visibility map (so index-only scans are possible)."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        tables = conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")).scalars()
        conn.execute(text("VACUUM ANALYZE " + ", ".join(f'"{t}"' for t in tables)))  # this schema only


def table(rows: list[tuple[str, str]]) -> None:
    width = max(len(k) for k, _ in rows)
    print(f"{'measure':<{width}} | value")
    print(f"{'-' * width}-+-{'-' * 30}")
    for key, value in rows:
        print(f"{key:<{width}} | {value}")
