"""The leading replica loses its database in the middle of a sweep: it raises nothing, the
other replica takes over, and every prompt is queued exactly once — none skipped, none twice."""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from urllib.parse import quote

import pytest
from sqlalchemy import event, make_url, select

from bot.config import SchedulingConfig
from bot.scheduling import CircleScheduler
from circles.db import Timeouts, make_engine, session_factory, unit_of_work
from circles.model import Circle, OutboxMessage
from tests.builders import seed_world
from tests.conftest import PG_URL
from tests.fakes.dbproxy import proxy_to

CFG = SchedulingConfig(digest_day="sun")
SWEEP_AT = dt.datetime(2026, 6, 1, 10, tzinfo=dt.UTC)
TEAMS = ["T1", "T2", "T3", "T4"]


@pytest.mark.postgres_only
async def test_a_handover_in_the_middle_of_a_sweep_skips_nothing_and_doubles_nothing(pg_engine, caplog) -> None:  # type: ignore[no-untyped-def]
    direct = session_factory(pg_engine)
    with unit_of_work(direct) as s:
        for team in TEAMS:  # one round each: the sweep commits round by round
            seed_world(s, circles=5, size=2, workspace=team, starts_on=SWEEP_AT.date())
    target = make_url(PG_URL or "")
    schema = pg_engine.info_schema
    with proxy_to(target.host or "127.0.0.1", target.port or 5432) as proxy:
        url = (f"postgresql://{target.username}@127.0.0.1:{proxy.port}/{target.database}"
               f"?options={quote(f'-csearch_path={schema}')}")
        engine_a = make_engine(url, Timeouts(connect=2, statement=5, pool=2))
        commits = Counter[str]()

        @event.listens_for(engine_a, "commit")
        def _cut_after_first_round(_conn) -> None:  # type: ignore[no-untyped-def]
            if not commits["armed"]:
                return
            commits["n"] += 1
            if commits["n"] == 1:  # replica A's database goes away once it has done a part
                proxy.set("down")

        a = CircleScheduler(session_factory(engine_a), CFG, clock=lambda: SWEEP_AT)
        b = CircleScheduler(direct, CFG, clock=lambda: SWEEP_AT)
        try:
            assert await a.check_leadership()
            assert not await b.check_leadership()
            caplog.set_level(logging.WARNING, logger="bot.scheduling")
            commits["armed"] = 1
            await a._sweep_job()  # raises nothing: one warning, leadership given up
            assert not a.is_leader
            assert any("scheduler paused" in r.getMessage() for r in caplog.records)
            assert not [(r.name, r.getMessage()) for r in caplog.records
                        if r.exc_info and r.name.startswith(("bot", "circles", "adapters"))]
            proxy.set("up")
            assert await b.check_leadership()  # A's lock died with its connection
            await b.sweep()
            await b.sweep()  # and a repeated sweep changes nothing
        finally:
            await b.stop()
            a.election.release()
            engine_a.dispose()

    with direct() as s:
        circle_ids = set(s.scalars(select(Circle.id)))
        prompts = s.execute(select(OutboxMessage.key, OutboxMessage.payload)
                            .where(OutboxMessage.key.like("prompt:%"))).all()
    assert commits["n"] >= 1  # A did commit part of the sweep before it lost the database
    assert len(circle_ids) == 5 * len(TEAMS)
    keys = [k for k, _ in prompts]
    assert len(keys) == len(set(keys)) == len(circle_ids)  # every circle once, none twice
