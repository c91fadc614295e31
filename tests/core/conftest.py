"""Fixtures for the domain core: real SQLite files in a temp dir, a controllable clock."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.support import FakeClock, make_settings
from ztc.db import open_database
from ztc.domain.engine import QueueEngine
from ztc.settings import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def engine(settings: Settings, clock: FakeClock) -> QueueEngine:
    """After each test, every event the engine emitted must pass the contract headquarters checks
    it with (contract.events): an emit site the contract does not describe would be quarantined."""
    from contract.events import EventError, validate_event

    db = open_database(settings.db_path)
    engine = QueueEngine(db, settings, clock)
    yield engine
    problems = []
    try:
        emitted = events(engine)
    except sqlite3.ProgrammingError:  # the test closed the database itself (a crash or corruption test)
        emitted = []
    for e in emitted:
        data = {k: v for k, v in e.items() if k not in ("seq", "type")}
        try:
            validate_event(e["type"], data)
        except EventError as err:
            problems.append(str(err))
    db.close()
    assert not problems, f"events the contract refuses: {problems[:3]}"


def events(engine: QueueEngine, type_: str | None = None) -> list[dict]:
    from ztc.db import outbox
    with engine.db.read() as conn:
        evs = outbox.pending(conn, 0, 100000)
    return [{"seq": e.seq, "type": e.type, **e.data} for e in evs if type_ is None or e.type == type_]
