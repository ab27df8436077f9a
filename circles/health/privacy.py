"""The one threshold rule for pulse data a coordinator (or an export) may see.

A pulse is personal: in a circle of four, an average of three answers is close to naming
who said what. Every pulse aggregate (a week's average, a circle's average, its trend,
the comments of a week) is therefore shown only when it is made of at least
``min_respondents`` members' answers, and never fewer than :data:`FLOOR`. Health, the
digest and the export all ask :func:`pulse_shown`, so they can never disagree.
"""

from __future__ import annotations

DEFAULT_MIN_RESPONDENTS = 3
FLOOR = 2  # below this an "average" is one person's answer


def threshold(min_respondents: int | None = None) -> int:
    """The threshold in force: the configured one, or the default, never below the floor."""
    n = DEFAULT_MIN_RESPONDENTS if min_respondents is None else int(min_respondents)
    return max(n, FLOOR)


def pulse_shown(respondents: int, min_respondents: int | None = None) -> bool:
    """True when an aggregate of ``respondents`` members' pulses may be shown."""
    return respondents >= threshold(min_respondents)
