"""Refusals in words: one sentence per reason the engine can give."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.replies import Reply, error
from circles.errors import DomainError


def _names(names: list[str]) -> str:
    return ", ".join(f'"{n}"' for n in names)


def _who(f: dict[str, Any]) -> str:
    return f"<@{f['external_id']}>" if f.get("external_id") else f"@{f.get('name')}"


MESSAGES: dict[str, Callable[[dict[str, Any]], str]] = {
    "member_not_found": lambda f: f"I can't find {_who(f)} in this workspace. They need to `/circle join` first.",
    "confirmation_expired": lambda f: "That request has expired or was already handled. Nothing changed.",
    "nothing_to_leave": lambda f: "You're not in any circle or program, so there's nothing to leave.",
    "program_exists": lambda f: f'A program called "{f["name"]}" already exists. Pick another name.',
    "enrolment_unchanged": lambda f: f'Enrolment for "{f["name"]}" is already {"open" if f["open"] else "closed"}.',
    "program_not_found": lambda f: f'There is no program "{f["name"]}". Programs: {_names(f["programs"]) or "none yet"}.',
    "no_open_program": lambda f: "No program is open for enrolment right now. A coordinator can open one.",
    "no_programs": lambda f: 'There are no programs yet. A coordinator can create one: `/circle program create "Name"`.',
    "ambiguous_program": lambda f: f'There are several programs ({_names(f["programs"])}); add program="Name".',
    "program_gone": lambda f: "That program no longer exists.",
    "nothing_to_change": lambda f: "Tell me what to change, e.g. repeat=4 or weights=interests:2.",
    "pause_not_future": lambda f: f"{f['until'].isoformat()} is not in the future. Pick a later date.",
    "pause_too_long": lambda f: "You can pause for up to a year at a time.",
    "pause_not_joined": lambda f: "You haven't joined yet, so there's nothing to pause. Try `/circle join`.",
    "not_paused": lambda f: "You're not paused, so there's nothing to resume.",
    "too_few_members": lambda f: (f'"{f["program"]}" has {f["count"]} enrolled '
                                  f'{"member" if f["count"] == 1 else "members"}; at least 2 '
                                  "are needed to form circles."),
    "no_draft_to_adjust": lambda f: "There's no draft round to adjust. Run `/circle round preview` first.",
    "no_such_circle": lambda f: (f"The draft has circles 1 to {f['count']}" if f["count"] != 1
                                 else "The draft has only circle 1") + f"; there is no circle {f['number']}.",
    "already_in_circle": lambda f: f"{f['name']} is already in circle {f['number']}.",
    "no_draft_to_publish": lambda f: "There's no draft round to publish. Run `/circle round preview` first.",
    "round_still_active": lambda f: f"Round {f['number']} is still active. End it first with `/circle round end`.",
    "round_not_active": lambda f: "That round isn't active.",
    "no_active_round": lambda f: f'"{f["program"]}" has no active round.',
    "prompt_gone": lambda f: "I can't find that prompt any more.",
    "not_in_that_circle": lambda f: "You're not in that circle, so I can't record that for you.",
    "no_active_circle": lambda f: "You're not in an active circle yet. Once a round is published you'll be told.",
    "no_prompt_yet": lambda f: "Your circle hasn't had a prompt yet.",
    "nothing_to_answer": lambda f: "Your circle hasn't had a prompt yet, so there's nothing to answer.",
    "pulse_range": lambda f: "A pulse is from 1 to 5.",
    "rate_first": lambda f: "Rate the week first (1–5), then add a comment.",
    "due_in_past": lambda f: f"{f['due'].isoformat()} is in the past. Pick a due date from today on.",
    "no_such_goal": lambda f: (f"You have no goal {f['number']}. Your goals: "
                               f"{', '.join(str(n) for n in f['have']) or 'none yet'}."),
    "goal_already_done": lambda f: f"Goal {f['number']} is already done. Nice!",
    "not_your_goal": lambda f: "That isn't one of your goals.",
    "rematch_not_in_circle": lambda f: f"{f['name']} isn't in an active circle, so there's nothing to rematch.",
    "all_circles_full": lambda f: "Every other circle in this round is full, so I can't move them now.",
    "no_fitting_circle": lambda f: f"No other circle fits {f['name']}: {f['why']}",
    "already_left": lambda f: f"{f['name']} has already left {f['circle']}. Nothing changed.",
    "avoid_self": lambda f: "You can't opt out of meeting yourself.",
    "already_coordinator": lambda f: f"{f['name']} is already a coordinator.",
    "no_such_prompt": lambda f: (f'"{f["program"]}" has no custom prompt {f["number"]}'
                                 + (f"; its custom prompts are 1 to {f['count']}." if f["count"]
                                    else "; it has no custom prompts yet.")),
    "not_a_coordinator": lambda f: f"{f['name']} isn't a coordinator. Nothing changed.",
    "last_coordinator": lambda f: (f"{f['name']} is the only coordinator, so they stay one. Add "
                                   "another with `/circle coordinators add @name` first."),
    "program_closed": lambda f: (f'"{f["name"]}" is closed for enrolment right now. A coordinator '
                                 f'can open it again with `/circle program open "{f["name"]}"`.'),
    "busy_try_again": lambda f: "Several requests for the same thing arrived at once. Nothing was doubled; please try again in a moment.",
    "rematch_target_full": lambda f: (f"{f['circle']} filled up before the move was confirmed, so {f['name']} "
                                      "stays where they are. Ask for a rematch again to pick another circle."),
    "rematch_round_over": lambda f: (f"Round {f['number']} has ended since the rematch was proposed, so "
                                     f"{f['name']} wasn't moved."),
    "survey_not_yours": lambda f: ("That survey is for the members of another round, so there's "
                                   "nothing for you to answer there. Thanks for wanting to help!"),
    "survey_closed": lambda f: (f"The survey for round {f['number']} of {f['program']} closed on "
                                f"{f['closed_on'].isoformat()}, so this answer wasn't recorded. "
                                "Thank you all the same!"),
    "survey_bad_outcome": lambda f: "A goal can be marked met, progressed or not yet.",
    "no_round_yet": lambda f: f'"{f["program"]}" has no published round yet, so there are no circles to look at.',
    "no_circle_in_round": lambda f: (f"Round {f['round']} has circles 1 to {f['count']}; there is no circle "
                                     f"{f['number']}."),
    "member_gone": lambda f: "That member is no longer in this workspace. Nothing changed.",
    "export_workspace_not_found": lambda f: (f'There is no workspace "{f["name"]}" in this database. '
                                             f"Workspaces: {', '.join(f['workspaces']) or 'none yet'}."),
    "export_no_workspaces": lambda f: "This database has no workspaces yet, so there is nothing to export.",
    "export_workspace_ambiguous": lambda f: ("This database holds several workspaces; pick one with "
                                             f"--workspace ({', '.join(f['workspaces'])})."),
    "role_needs_program": lambda f: ("A role belongs to a program, and you haven't joined one yet. Join "
                                     'with it: `/circle join mentor program="Name"`.'),
    "not_enrolled_in": lambda f: (f'You haven\'t joined "{f["program"]}". Your programs: '
                                  f'{_names(f["programs"]) or "none yet"}.'),
    "not_in_program": lambda f: (f'{f["name"]} hasn\'t joined "{f["program"]}", so they can\'t be '
                                 "moved into its circles. They can `/circle join` it first."),
    "program_running": lambda f: (f'Round {f["number"]} of "{f["name"]}" is running, so the program '
                                  "can't be deleted now. End the round first (`/circle round end "
                                  f'program="{f["name"]}"`), then delete it.'),
    "no_such_circle_of_yours": lambda f: ("None of your circles fits "
                                          + " and ".join(x for x in (
                                              f'program "{f["program"]}"' if f["program"] else "",
                                              f"circle {f['number']}" if f["number"] else "") if x)
                                          + f". Your circles: {', '.join(f['circles'])}."),
}


def explain(err: DomainError) -> str:
    return MESSAGES[err.reason](err.facts)


def database_unavailable(kind: str) -> Reply:
    """The database is down or too slow right now: the unit of work was rolled back, so the
    person is told nothing was kept and to try again (no driver message, no traceback)."""
    why = ("is too slow to answer" if kind == "timeout" else "can't be reached")
    return error(f"Circlebot's database {why} right now, so nothing was changed. "
                 "Please try again in a moment.")
