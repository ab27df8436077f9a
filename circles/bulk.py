"""Many rows in one statement. On PostgreSQL the rows travel as one JSON document that the
server unpacks (``INSERT ... SELECT ... FROM json_to_recordset(...)``): one short statement
whatever the number of rows, instead of a statement text with thousands of parameters for
the driver to build and the server to parse. Elsewhere (SQLite) it is a plain batched insert.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Row, any_, bindparam, insert, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import InstrumentedAttribute, Session


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
    result = session.execute(text(sql), {"rows": json.dumps(_plain(rows, cols), default=_jsonable)})
    return list(result.all()) if returning else []


def _plain(rows: list[dict[str, Any]], cols: list[str]) -> list[dict[str, Any]]:
    """Dates as ISO text before encoding, each distinct value converted once: a sweep's rows
    share one timestamp, and the encoder's per-value fallback is its slowest path."""
    stamps = [c for c in cols if isinstance(rows[0][c], dt.datetime | dt.date)]
    if not stamps:
        return rows
    iso: dict[Any, str] = {}
    out = []
    for row in rows:
        row = dict(row)
        for c in stamps:
            v = row[c]
            if v is not None:
                row[c] = iso.get(v) or iso.setdefault(v, v.isoformat())
        out.append(row)
    return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not a column value")


def among(session: Session, column: InstrumentedAttribute[Any],
          values: Collection[Any]) -> ColumnElement[bool]:
    """``column IN (values)`` for a long list: on PostgreSQL one array parameter
    (``column = ANY(:values)``), so thousands of keys cost the driver and the server one
    value instead of thousands of placeholders to build and parse; elsewhere a plain IN."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(values)
