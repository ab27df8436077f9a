"""When a circle is at risk. Deliberately simple rules, so each can be explained in words: a
coordinator has to trust a flag before acting on it. Every rule needs enough data to mean
something: two prompts before a low answer rate counts, two check-in weeks before a low
meeting rate, and a pulse only from weeks where enough members answered it
(``privacy.pulse_shown``), so one low pulse never flags a whole circle."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import and_, or_

from circles.health.facts import Risk

LOW_ANSWER_RATE = 0.3
LOW_MEETING_RATE = 0.5
LOW_PULSE = 2.5
FALLING_PULSE = 1.0  # the latest shown weekly pulse this far below the round's first
QUIET_DAYS = 14
MIN_ACTIVE_MEMBERS = 2
SILENT_PROMPTS = 2  # a member who answered none of the circle's last two prompts is silent
MIN_SILENT = 2  # ... and a circle is at risk when at least two are, and at least a third
SILENT_SHARE = 1 / 3


def risks(*, members: int, prompts: int, answer_rate: float | None, checkin_weeks: int,
          meeting_rate: float | None, pulse_avg: float | None, pulse_first: float | None,
          pulse_last: float | None, shown_weeks: int, silent: int, since: dt.datetime | None,
          now: dt.datetime, cadence_weeks: int) -> list[Risk]:
    out: list[Risk] = []
    if answer_rate is not None and prompts >= 2 and answer_rate < LOW_ANSWER_RATE:
        out.append(Risk("low_answers", answer_rate))
    if silent >= MIN_SILENT and silent >= members * SILENT_SHARE:
        out.append(Risk("silent", silent, of=members, weeks=SILENT_PROMPTS * cadence_weeks))
    if meeting_rate is not None and checkin_weeks >= 2 and meeting_rate < LOW_MEETING_RATE:
        out.append(Risk("low_meetings", meeting_rate))
    if pulse_avg is not None and pulse_avg < LOW_PULSE:
        out.append(Risk("low_pulse", pulse_avg))
    if (shown_weeks >= 2 and pulse_first is not None and pulse_last is not None
            and pulse_first - pulse_last >= FALLING_PULSE):
        out.append(Risk("falling_pulse", pulse_first - pulse_last, before=pulse_first, after=pulse_last))
    if prompts >= 1 and since is not None and now - since > dt.timedelta(days=QUIET_DAYS):
        out.append(Risk("quiet", QUIET_DAYS))
    if members < MIN_ACTIVE_MEMBERS:
        out.append(Risk("too_few", MIN_ACTIVE_MEMBERS))
    return out


def at_risk_clause(*, members: Any, prompts: Any, answer_rate: Any, checkin_weeks: Any,
                   meeting_rate: Any, pulse_avg: Any, pulse_first: Any, pulse_last: Any,
                   shown_weeks: Any, silent: Any, since: Any, now: dt.datetime) -> Any:
    """The rules of :func:`risks` as one SQL condition over a circle's measures (the same
    thresholds, rule for rule in the same order), so a big program's health can count and
    pick its circles at risk in the database instead of loading every circle. A spec checks
    that both say the same of every circle."""
    return or_(
        and_(answer_rate.is_not(None), prompts >= 2, answer_rate < LOW_ANSWER_RATE),
        and_(silent >= MIN_SILENT, silent >= members * SILENT_SHARE),
        and_(meeting_rate.is_not(None), checkin_weeks >= 2, meeting_rate < LOW_MEETING_RATE),
        and_(pulse_avg.is_not(None), pulse_avg < LOW_PULSE),
        and_(shown_weeks >= 2, pulse_first.is_not(None), pulse_last.is_not(None),
             pulse_first - pulse_last >= FALLING_PULSE),
        and_(prompts >= 1, since.is_not(None), since < now - dt.timedelta(days=QUIET_DAYS)),
        members < MIN_ACTIVE_MEMBERS,
    )
