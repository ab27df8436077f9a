"""Words for the export: what the zip holds, as a private reply with the file attached."""

from __future__ import annotations

import datetime as dt

from bot.presenters import formatting as fmt
from bot.replies import Attachment, Reply
from circles.usecases.evaluation import ExportFile


def export_filename(today: dt.date) -> str:
    return f"circles-evaluation-{today.isoformat()}.zip"


def export_reply(x: ExportFile, today: dt.date) -> Reply:
    which = ", ".join(x.programs)
    lines = [f"Evaluation data for {which}: CSV files in one zip."]
    lines += [f"• {name}: {fmt.counted(rows, 'row')}" for name, rows in x.files]
    lines.append("Pulse appears only as weekly averages per circle where enough members answered; "
                 "nobody's own rating or comment is attributed. For a very large workspace, "
                 "`circlebot export` writes the same files to a folder on the server.")
    name = export_filename(today)
    return Reply(title="Program evaluation export", text="\n".join(lines), visibility="ephemeral",
                 files=[Attachment(name, x.data, title=f"Evaluation export ({which})",
                                   alt_text=f"Zip of CSV files for {which}", mime="application/zip")])
