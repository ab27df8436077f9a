"""Which replica runs the scheduler: a PostgreSQL session-level advisory lock.

The lock lives on a dedicated connection, and PostgreSQL releases it by itself when that
connection (i.e. the replica) dies, so a follower takes over on its next check. On SQLite
there is one process and it always leads.
"""

from __future__ import annotations

import hashlib
import logging

from sqlalchemy import Connection, Engine, text

from circles.db import SessionFactory

log = logging.getLogger(__name__)


class LeaderElection:
    """One advisory lock per database schema, so test schemas and separate deployments
    sharing a server do not elect each other."""

    def __init__(self, engine: Engine, name: str = "circlebot:scheduler") -> None:
        self.engine = engine
        self.name = name
        self._conn: Connection | None = None
        self._key: int | None = None

    @classmethod
    def for_sessions(cls, sessions: SessionFactory, name: str = "circlebot:scheduler") -> LeaderElection:
        """The election on the database the session factory is bound to."""
        return cls(sessions.kw["bind"], name)

    @property
    def shared(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    def acquire(self) -> bool:
        """Try to become leader without waiting; True if this process now leads."""
        if not self.shared:
            return True
        if self._conn is not None:
            return self.still_held()
        conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            schema = conn.execute(text("SELECT current_schema()")).scalar_one()
            digest = hashlib.sha256(f"{self.name}:{schema}".encode()).digest()
            key = int.from_bytes(digest[:8], "big", signed=True)
            if conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar_one():
                self._conn, self._key = conn, key
                return True
        except Exception:
            log.exception("leader election failed")
        conn.close()
        return False

    def still_held(self) -> bool:
        """The lock lives as long as its connection: if the connection is gone, so is the
        lock, and another replica may already lead."""
        if not self.shared:
            return True
        if self._conn is None:
            return False
        try:
            self._conn.execute(text("SELECT 1"))
            return True
        except Exception:
            log.warning("lost the scheduler lock's connection; stepping down")
            self._drop()
            return False

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.invalidate()
                conn.close()
            except Exception:  # already broken; nothing left to release
                log.debug("closing a broken leader connection", exc_info=True)

    def release(self) -> None:
        if self._conn is not None and self._key is not None:
            try:
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self._key})
                self._conn.close()
            except Exception:
                log.debug("releasing the scheduler lock", exc_info=True)
            self._conn = None
