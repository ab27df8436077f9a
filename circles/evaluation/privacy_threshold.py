"""The one anonymity rule for pulse aggregates: an average (or a comment) of a circle's week
is shown only when at least N members answered the pulse that week.

N is 3 by default, configurable, and never below 2: with one answer the "average" is that
person's rating. The chart, the export and the digest all ask this module, so they can't
disagree about what is safe to show.
"""

from __future__ import annotations

DEFAULT_MIN_RESPONDENTS = 3
FLOOR = 2


def min_respondents(configured: int | None = None) -> int:
    """The threshold in force: the configured N (or the default), never below the floor."""
    if configured is None:
        return DEFAULT_MIN_RESPONDENTS
    return max(FLOOR, int(configured))


def shown(respondents: int, threshold: int) -> bool:
    """May an aggregate over ``respondents`` pulse answers be shown? ``threshold`` is clamped
    here as well, so a caller passing a raw setting can't go below the floor."""
    return respondents >= min_respondents(threshold)
