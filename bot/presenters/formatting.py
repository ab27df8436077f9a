"""How numbers read, in one place: `/circle health` and the weekly digest print a rate, a
pulse and a missing value the same way (they used to disagree: "—" in one, "n/a" in the other).
"""

from __future__ import annotations

MISSING = "—"  # a number we have no data for yet (no prompt posted, no pulse given)
TREND_STEADY = 0.25  # a pulse change smaller than this reads as steady (→)


def rate(x: float | None) -> str:
    """A share as a whole percentage: ``0.5`` -> ``50%``."""
    return MISSING if x is None else f"{x:.0%}"


def arrow(trend: float | None) -> str:
    """``" ↑"``, ``" ↓"`` or ``" →"`` for a pulse change; empty when there is no trend yet."""
    if trend is None:
        return ""
    return " ↑" if trend > TREND_STEADY else " ↓" if trend < -TREND_STEADY else " →"


def pulse(avg: float | None, trend: float | None = None) -> str:
    """An average pulse with its trend arrow: ``4.2 ↑``."""
    return MISSING if avg is None else f"{avg:.1f}{arrow(trend)}"


def pulse_of_five(avg: float | None) -> str:
    """An average pulse on its scale: ``4.2/5``."""
    return MISSING if avg is None else f"{avg:.1f}/5"


def change(delta: float | None) -> str:
    """A signed change: ``+0.5``."""
    return MISSING if delta is None else f"{delta:+.1f}"


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """``1 circle``, ``3 circles``: the bot's one way of counting a noun. ``plural`` for the
    nouns that don't just take an "s" (``counted(2, "person", "people")``)."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"
