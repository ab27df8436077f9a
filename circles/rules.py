"""Temporary: replaced at merge by the grammar branch's rules module."""

from __future__ import annotations

import datetime as dt


def is_paused(paused_until: dt.date | None, today: dt.date) -> bool:
    """Paused through the "until" date, inclusive."""
    return paused_until is not None and paused_until >= today
