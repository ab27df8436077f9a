"""Many rows in one statement. On PostgreSQL the rows travel as one JSON document that the
server unpacks (``INSERT ... SELECT ... FROM json_to_recordset(...)``): one short statement
whatever the number of rows, instead of a statement text with thousands of parameters for
the driver to build and the server to parse. Elsewhere (SQLite) it is a plain batched insert.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, insert, text
from sqlalchemy.orm import Session


def insert_rows(session: Session, model: Any, rows: list[dict[str, Any]],
                returning: Sequence[str] = ()) -> list[Row[Any]]:
    """Insert ``rows`` (dicts with the same keys) into ``model``'s table; with ``returning``,
    the named columns of every inserted row (in no particular order)."""
    if not rows:
        return []
    table = model.__table__
    bind = session.get_bind()
    if bind.dialect.name != "postgresql":
        stmt = insert(table)
        if returning:
            return list(session.execute(stmt.returning(*(table.c[c] for c in returning)), rows).all())
        session.execute(stmt, rows)
        return []
    cols = list(rows[0])
    typed = ", ".join(f"{c} {table.c[c].type.compile(bind.dialect)}" for c in cols)
    sql = (f"INSERT INTO {table.name} ({', '.join(cols)}) SELECT {', '.join(cols)}"
           f" FROM json_to_recordset(CAST(:rows AS json)) AS x({typed})"
           + (f" RETURNING {', '.join(returning)}" if returning else ""))
    result = session.execute(text(sql), {"rows": json.dumps(rows, default=_jsonable)})
    return list(result.all()) if returning else []


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not a column value")
