"""Words for "why you were matched" (`circles.matching.explain.Why` facts) and for waitlist
reasons. Names only, never internal ids; a shared-time claim only from people who gave
their availability."""

from __future__ import annotations

from collections.abc import Sequence

from circles.matching.explain import Why

DAY_LABELS = {"mon": "Mon", "tue": "Tue", "wed": "Wed", "thu": "Thu", "fri": "Fri",
              "sat": "Sat", "sun": "Sun"}
WAITLIST_TAILS = ("; you're on the waitlist for next round", ", you're on the waitlist for next round")
WAITLIST_HEAD = "you're on the waitlist for next round because "


def join(items: Sequence[str]) -> str:
    """"a", "a and b", "a, b and c"."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _common(w: Why) -> list[str]:
    out = []
    you = "you both" if w.size == 2 else "you all"
    for c in w.everyone:
        if w.newcomer:
            verb = "enjoys" if c.what == "interest" else "wants to grow in"
            out.append(f"like everyone here, {w.newcomer} {verb} {join(c.tags)}")
            continue
        verb = "enjoy" if c.what == "interest" else "want to grow in"
        out.append(f"{you} {verb} {join(c.tags)}")
    for c in w.some:
        tag = c.tags[0]
        what = f"an interest in {tag}" if c.what == "interest" else f"the goal {tag}"
        if w.newcomer:
            out.append(f"{w.newcomer} shares {what} with {join(c.names)}")
        else:
            out.append(f"{join(c.names)} share {what}")
    return out


def _time(w: Why) -> str:
    gave = len(w.gave_availability)
    if gave == 0:
        return "nobody has given their availability yet, so agree on a time together"
    if gave == 1:
        return (f"only {w.gave_availability[0]} has given their availability so far, so agree on "
                "a time together")
    days = "/".join(DAY_LABELS.get(d, d) for d in w.shared_days)
    who = "you" if gave == w.size else f"{join(w.gave_availability)} (who gave their availability)"
    if not w.shared_hours:
        return f"{who} share no hours yet, so you'll need to find a time"
    hours = f"{w.shared_hours} hour{'s' if w.shared_hours != 1 else ''}"
    return f"{who} share {hours} a week on {days} (UTC)"


def _teaching(w: Why) -> str:
    """"Bo and Di can teach Cy sql": teachers of the same learner and topics said once."""
    grouped: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for t in w.teaching:
        grouped.setdefault((t.learner, tuple(t.topics)), []).append(t.teacher)
    return "; ".join(f"{join(teachers)} can teach {learner} {join(list(topics))}"
                     for (learner, topics), teachers in grouped.items())


def why_text(w: Why) -> str:
    """One sentence from the facts: shared topics, who can help whom, shared time."""
    parts = _common(w)
    if w.mentor and w.mentor_helps:
        parts.append(f"{w.mentor} can help with {join(w.mentor_helps)}")
    if w.teaching:
        parts.append(_teaching(w))
    if w.ahead and w.ahead_levels:
        parts.append(f"{w.ahead} is {w.ahead_levels} level{'s' if w.ahead_levels > 1 else ''} ahead")
    if w.departments:
        parts.append(f"{len(w.departments)} departments meet ({join(w.departments)})")
    if not parts:
        parts.append("matched to balance the round")
    parts.append(_time(w))
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


def waitlist_reason(why: str) -> str:
    """The reason alone, without the matcher's own "you're on the waitlist" (the sentence
    around it already says so: saying it twice read badly)."""
    text = why.strip().rstrip(".")
    for tail in WAITLIST_TAILS:
        if text.endswith(tail):
            text = text[: -len(tail)]
    if text.startswith(WAITLIST_HEAD):
        text = text[len(WAITLIST_HEAD):]
    return text
