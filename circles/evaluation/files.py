"""Writing the export: CSV files into a folder (the command line) or one zip (chat).

Rows stream from ``ExportTable.rows`` straight into the file, so memory stays flat however
big the workspace; a ``Progress`` (optional) hears how far each table has got.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import IO, Protocol

from sqlalchemy.orm import Session

from circles.evaluation.export import TABLES, ExportScope, ExportTable


class Progress(Protocol):
    def start(self, filename: str, expected: int) -> None: ...
    def advance(self, rows: int) -> None: ...
    def finish(self, filename: str, rows: int) -> None: ...


Opener = Callable[[str], AbstractContextManager[IO[str]]]


def write_tables(session: Session, scope: ExportScope, open_text: Opener,
                 progress: Progress | None = None,
                 tables: Sequence[ExportTable] = TABLES) -> list[tuple[str, int]]:
    """Each table into the file ``open_text(filename)`` gives; returns (filename, rows)."""
    written = []
    for table in tables:
        if progress is not None:
            progress.start(table.filename, table.count(session, scope))
        count = 0
        with open_text(table.filename) as out:
            w = csv.writer(out)
            w.writerow(table.header)
            for batch in table.batches(session, scope):
                w.writerows(batch)
                count += len(batch)
                if progress is not None:
                    progress.advance(len(batch))
        if progress is not None:
            progress.finish(table.filename, count)
        written.append((table.filename, count))
    return written


def to_directory(session: Session, scope: ExportScope, out: Path,
                 progress: Progress | None = None) -> list[tuple[Path, int]]:
    out.mkdir(parents=True, exist_ok=True)

    def opener(name: str) -> AbstractContextManager[IO[str]]:
        return (out / name).open("w", newline="", encoding="utf-8")

    return [(out / name, rows) for name, rows in write_tables(session, scope, opener, progress)]


def to_zip(session: Session, scope: ExportScope) -> tuple[bytes, list[tuple[str, int]]]:
    """Every table as one zip (deflated), with the rows per file."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:

        def opener(name: str) -> AbstractContextManager[IO[str]]:
            return io.TextIOWrapper(zf.open(name, "w"), encoding="utf-8", newline="")

        written = write_tables(session, scope, opener)
    return buf.getvalue(), written
