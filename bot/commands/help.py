"""`/circle help`, generated from the spec so it lists exactly what the parser accepts."""

from __future__ import annotations

from bot.commands.errors import ParseError
from bot.commands.spec import SPECS


def help_text(topic: str = "", coordinator: bool = False) -> tuple[str, list[tuple[str, str]]]:
    """(title, [(usage, summary)]) for all commands or those matching a topic."""
    topic = topic.strip().lower()
    chosen = [s for s in SPECS if not topic or s.path[0] == topic or s.name == topic]
    if topic and not chosen:
        raise ParseError(f"There's no help topic '{topic}'. Type `/circle help` for everything.")
    if not topic and not coordinator:
        chosen = [s for s in chosen if not s.coordinator_only]
    rows = []
    for s in chosen:
        summary = s.summary + (" (coordinators)" if s.coordinator_only else "")
        if topic and s.example:
            summary += f" — e.g. `{s.example}`"
        rows.append((s.usage, summary))
    title = f"/circle {topic}" if topic else "Circlebot commands"
    return title, rows
