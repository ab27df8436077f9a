"""Upgrading keeps every install: a database from before the credentials table (revision
0001, one `installations` row per team) reaches head with its tokens findable through the
Slack store, and downgrading brings the old rows back."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine, text

from adapters.slack.installation_store import DbInstallationStore
from circles.db import downgrade, make_engine, normalize_url, session_factory, upgrade
from tests.conftest import BACKENDS, PG_URL, _pg_engine

INSTALLED = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)
OLD = sa.table(
    "installations",
    sa.column("platform", sa.String), sa.column("team_id", sa.String),
    sa.column("enterprise_id", sa.String), sa.column("bot_token", sa.Text),
    sa.column("bot_user_id", sa.String), sa.column("bot_id", sa.String),
    sa.column("data", sa.JSON), sa.column("installed_at", sa.DateTime(timezone=True)),
)


def old_row(key: str, token: str, *, team: str | None, enterprise: str | None) -> dict:
    """A row exactly as the 0001-era store wrote it."""
    data = {"app_id": "A1", "enterprise_id": enterprise, "enterprise_name": None,
            "team_id": team, "team_name": "Acme" if team else None, "bot_token": token,
            "bot_id": "B1", "bot_user_id": "UBOT", "user_id": "U_ADMIN",
            "is_enterprise_install": team is None, "token_type": "bot",
            "bot_scopes": "commands,chat:write", "installed_at": 1_790_000_000.0}
    return {"platform": "slack", "team_id": key, "enterprise_id": enterprise, "bot_token": token,
            "bot_user_id": "UBOT", "bot_id": "B1", "data": data, "installed_at": INSTALLED}


@pytest.fixture(params=BACKENDS)
def blank(request: pytest.FixtureRequest, tmp_path) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    """An empty database (no schema yet), on each backend the suite runs on."""
    if request.param == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
        yield eng
        eng.dispose()
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(normalize_url(PG_URL or ""))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    eng = _pg_engine(schema)
    try:
        yield eng
    finally:
        eng.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


async def test_an_install_made_before_the_credentials_table_survives_the_upgrade(blank: Engine) -> None:
    upgrade(blank, "0001")
    with blank.begin() as conn:
        conn.execute(OLD.insert(), [old_row("T1", "xoxb-team", team="T1", enterprise=None),
                                    old_row("E:E1", "xoxb-org", team=None, enterprise="E1")])
    upgrade(blank)

    assert "installations" not in sa.inspect(blank).get_table_names()
    store = DbInstallationStore(session_factory(blank))
    bot = await store.async_find_bot(enterprise_id=None, team_id="T1")
    assert bot is not None
    assert (bot.bot_token, bot.bot_id, bot.bot_user_id) == ("xoxb-team", "B1", "UBOT")
    assert bot.bot_scopes == ["commands", "chat:write"]
    inst = await store.async_find_installation(enterprise_id=None, team_id="T1")
    assert inst is not None and (inst.team_name, inst.user_id) == ("Acme", "U_ADMIN")
    assert await store.bot_token("T1") == "xoxb-team"
    # an org-wide install still answers for any team of its enterprise
    org = await store.async_find_bot(enterprise_id="E1", team_id="T9")
    assert org is not None and org.bot_token == "xoxb-org"
    assert await store.bot_token("T2") is None


async def test_downgrading_gives_the_old_rows_back(blank: Engine) -> None:
    upgrade(blank, "0001")
    with blank.begin() as conn:
        conn.execute(OLD.insert(), [old_row("T1", "xoxb-team", team="T1", enterprise=None)])
    upgrade(blank)
    store = DbInstallationStore(session_factory(blank))
    await store.async_delete_all(enterprise_id=None, team_id="T1")
    assert await store.bot_token("T1") is None
    # an install made at head is also kept when going back
    from slack_sdk.oauth.installation_store import Installation

    await store.async_save(Installation(app_id="A1", team_id="T3", bot_token="xoxb-3",
                                        bot_id="B3", bot_user_id="UB3", user_id="U3"))
    downgrade(blank, "0001")

    assert "credentials" not in sa.inspect(blank).get_table_names()
    with blank.connect() as conn:
        rows = conn.execute(sa.select(OLD)).mappings().all()
    assert [(r["platform"], r["team_id"], r["bot_token"], r["bot_id"], r["bot_user_id"])
            for r in rows] == [("slack", "T3", "xoxb-3", "B3", "UB3")]
    upgrade(blank)
    assert await store.bot_token("T3") == "xoxb-3"
