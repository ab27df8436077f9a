"""The command line and the console end cleanly: a bad database URL or an unreachable server
is one line on stderr, /quit and Ctrl-C end the console without a traceback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]


def circlebot(*args: str, stdin: str = "", cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], input=stdin, text=True,
                          capture_output=True, cwd=cwd, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


@pytest.mark.parametrize(("url", "words"), [
    ("notaurl", "is not a database URL"),
    ("mysql://someone@127.0.0.1/db", "no driver"),
    ("postgresql://someone:s3cret@127.0.0.1:1/db", "can't reach the database"),
])
def test_a_database_that_cannot_be_used_is_one_clear_line(url: str, words: str, tmp_path: Path) -> None:
    done = circlebot("--database", url, "status", cwd=tmp_path)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0] and lines[0].startswith("circlebot: ")
    assert "Traceback" not in done.stderr + done.stdout
    assert "s3cret" not in done.stderr  # a password is never printed


def test_quit_ends_the_console_without_a_traceback(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'c.sqlite3'}"
    done = circlebot("--database", db, "console", stdin="/circle help\n/quit\n", cwd=tmp_path)
    assert done.returncode == 0
    assert done.stdout.rstrip().endswith("Bye!")
    assert "Traceback" not in done.stdout + done.stderr and "Error" not in done.stderr


def test_ctrl_c_ends_the_console_cleanly(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'c.sqlite3'}"
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "--database", db, "console"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.stdout is not None
    os.set_blocking(proc.stdout.fileno(), False)
    seen = ""
    deadline = time.monotonic() + 60
    while "@you>" not in seen:  # waiting for the prompt, with a deadline
        assert time.monotonic() < deadline and proc.poll() is None, seen
        seen += (proc.stdout.read() or b"").decode()
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    try:
        raw_out, raw_err = proc.communicate(timeout=60)
        out, err = raw_out.decode(), raw_err.decode()
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("the console did not end after Ctrl-C")
    assert proc.returncode == 0
    assert "Traceback" not in (out or "") + (err or "")
    assert "Bye!" in seen + (out or "")
