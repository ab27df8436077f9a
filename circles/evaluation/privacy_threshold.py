"""The anonymity rule for the chart and the export: the one rule of ``circles.health.privacy``
(an aggregate of a circle's week is shown only when at least N members answered the pulse;
N = 3 by default, configurable, never below 2), under the names the evaluation code uses."""

from __future__ import annotations

from circles.health.privacy import DEFAULT_MIN_RESPONDENTS, FLOOR, pulse_shown, threshold

__all__ = ["DEFAULT_MIN_RESPONDENTS", "FLOOR", "min_respondents", "shown"]


def min_respondents(configured: int | None = None) -> int:
    """The threshold in force: the configured N (or the default), never below the floor."""
    return threshold(configured)


def shown(respondents: int, configured: int | None) -> bool:
    """May an aggregate over ``respondents`` pulse answers be shown?"""
    return pulse_shown(respondents, configured)
