"""Fixtures for the domain core: real SQLite files in a temp dir, a controllable clock."""
from __future__ import annotations

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
    db = open_database(settings.db_path)
    yield QueueEngine(db, settings, clock)
    db.close()


def events(engine: QueueEngine, type_: str | None = None) -> list[dict]:
    from ztc.db import outbox
    with engine.db.read() as conn:
        evs = outbox.pending(conn, 0, 100000)
    return [{"seq": e.seq, "type": e.type, **e.data} for e in evs if type_ is None or e.type == type_]
