"""Words for export-me, forget-me and what a circle hears when someone is forgotten."""

from __future__ import annotations

import json
from typing import Any

from bot.actions import Cancel, ConfirmForget
from bot.files import FileReply
from bot.presenters import formatting as fmt
from bot.presenters.registry import presents
from bot.replies import Button, Reply, ok
from circles import notices as n
from circles.privacy import ForgetPlan, Forgotten


def exported(data: dict[str, Any]) -> FileReply:
    body = json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True).encode()
    return FileReply(text="Here is everything Circlebot stores about you, as a JSON file. "
                          "Only you can see this.", title="Your data",
                     file_name="circlebot-my-data.json", file_bytes=body,
                     mime="application/json")


def confirm_forget(plan: ForgetPlan) -> Reply:
    where = (f" You'll leave {fmt.counted(plan.circles, 'circle')}; they'll only be told that "
             "someone left." if plan.circles else "")
    return Reply(text=("Forget you? This deletes your profile, goals, answers' text, comments "
                       "and history, and can't be undone. Ratings you gave stay, without your "
                       f"name, in the program's totals.{where}"),
                 tone="warning",
                 buttons=[Button("Yes, forget me", *ConfirmForget(plan.pending_id).encode(), "danger"),
                          Button("Keep my data", *Cancel(plan.pending_id).encode())])


def forgotten(f: Forgotten) -> Reply:
    return ok("Done: everything personal about you is deleted. If you use `/circle` again, "
              "you start afresh.")


@presents(n.SomeoneLeft)
def someone_left(x: n.SomeoneLeft) -> Reply:
    return Reply(text="Someone has left this circle.", visibility="in_channel")
