"""The words the `/circle` grammar accepts and the bounds of its numbers.

The rules themselves (which kinds, weekdays and limits exist) live in ``circles.rules``; this
module only says how a user spells them: ``mentor-pair`` for the stored ``mentor_pair``,
``not-yet`` for ``not_yet``.
"""

from __future__ import annotations

from circles import rules

MAX_TEXT = rules.MAX_TEXT
#: typed spelling → stored kind, in the order help and Discord list them
KINDS: dict[str, str] = {kind.replace("_", "-"): kind for kind in rules.KINDS}
KIND_LABELS: dict[str, str] = {v: k for k, v in KINDS.items()}
ROLES: tuple[str, ...] = rules.ROLES
DAYS: tuple[str, ...] = rules.WEEKDAYS
CHECKIN = {"yes": "met", "met": "met", "not-yet": "not_yet", "notyet": "not_yet",
           "not yet": "not_yet", "skipped": "skipped", "skip": "skipped", "no": "skipped"}
PROFILE_KEYS = ("role", "experience", "department", "interests", "goals", "offers", "wants",
                "timezone", "availability", "capacity", "avoid", "program")
WEIGHT_KEYS = ("interests", "goals", "skills", "experience", "department", "availability")

#: whole-number argument types: their bounds and how an error names them
INT_ARGS: dict[str, tuple[rules.Bounds, str]] = {
    "rating": (rules.RATING, "the rating"),
    "goal_number": (rules.GOAL_NUMBER, "the goal number"),
    "circle_number": (rules.CIRCLE_NUMBER, "the circle number"),
    "weeks": (rules.PROGRAM_WEEKS, "the number of weeks"),
    "repeat": (rules.REPEAT_WINDOW, "the repeat window"),
    "hours": (rules.SHARED_HOURS, "the shared hours"),
    "seed": (rules.SEED, "the seed"),
}
