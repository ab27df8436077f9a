"""The composition root: the one place that wires database, engine, adapters, scheduler
and delivery together. Everything else receives its collaborators as arguments."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Config
from bot.core import CircleBot
from circles.db import make_engine, session_factory, upgrade


@dataclass
class App:
    config: Config
    engine: Engine
    sessions: sessionmaker[Session]
    bot: CircleBot


def build(config: Config, migrate: bool = True) -> App:
    engine = make_engine(config.database.url)
    if migrate:
        upgrade(engine)
    sessions = session_factory(engine)
    return App(config, engine, sessions, CircleBot(sessions, config))
