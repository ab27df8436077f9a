"""`circlebot export`: the program-evaluation CSV files written to a folder, with a progress
bar on stderr (a big workspace takes a while) and plain-language errors instead of
tracebacks (unknown program or workspace, a folder that can't be written)."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TextIO

from bot.config import Config
from bot.presenters import formatting as fmt
from bot.presenters.errors import explain
from circles.db import SessionFactory, unit_of_work
from circles.errors import DomainError
from circles.usecases import evaluation

BAR = 30


class TextProgress:
    """``[3/9] participation.csv  [#########.....]  64%  704,000 / 1,100,000 rows``: redrawn
    in place on a terminal, one finished line per file otherwise (logs stay readable)."""

    def __init__(self, out: TextIO, files: int, every: float = 0.2) -> None:
        self.out = out
        self.files = files
        self.every = every
        self.live = out.isatty()
        self.n = 0
        self.name = ""
        self.expected = 0
        self.done = 0
        self._drawn = 0.0

    def start(self, filename: str, expected: int) -> None:
        self.n += 1
        self.name, self.expected, self.done = filename, expected, 0
        self._draw(force=True)

    def advance(self, rows: int) -> None:
        self.done += rows
        self._draw()

    def finish(self, filename: str, rows: int) -> None:
        self.done = self.expected = rows  # the count was an upper bound; this is what was written
        line = self._line()
        self.out.write(("\r" + line + "\n") if self.live else line + "\n")
        self.out.flush()

    def _line(self) -> str:
        share = self.done / self.expected if self.expected else 1.0
        filled = int(BAR * min(share, 1.0))
        return (f"[{self.n}/{self.files}] {self.name:<20} [{'#' * filled}{'.' * (BAR - filled)}] "
                f"{share:4.0%}  {self.done:,} / {self.expected:,} rows")

    def _draw(self, force: bool = False) -> None:
        now = time.monotonic()
        if not self.live or (not force and now - self._drawn < self.every):
            return
        self._drawn = now
        self.out.write("\r" + self._line())
        self.out.flush()


def run_export(sessions: SessionFactory, config: Config, program: str, out_dir: str,
               workspace: str = "", stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    from circles.evaluation.export import TABLES

    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr  # as they are now (tests swap them)

    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".circlebot-write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        print(f"circlebot: can't write the export to {out}: {exc.strerror or exc}. "
              "Pick another folder with --out.", file=stderr)
        return 1
    started = time.perf_counter()
    try:
        with unit_of_work(sessions) as session:
            ws = evaluation.export_workspace(session, workspace)
            written = evaluation.write_export(session, ws, program, out,
                                              config.health.min_pulse_respondents,
                                              TextProgress(stderr, len(TABLES)))
    except DomainError as exc:
        print(f"circlebot: {explain(exc)}", file=stderr)
        return 1
    except OSError as exc:
        print(f"circlebot: writing the export to {out} failed: {exc.strerror or exc}.", file=stderr)
        return 1
    rows = sum(n for _, n in written)
    print(f"Wrote {fmt.counted(len(written), 'file')} ({rows:,} rows) to {out.resolve()} "
          f"in {time.perf_counter() - started:.1f} s.", file=stdout)
    return 0
