"""Fixtures for the domain core: real SQLite files in a temp dir, a controllable clock."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from ztc.db import open_database
from ztc.domain.engine import QueueEngine
from ztc.settings import Settings, load_settings

SHANGHAI_0905 = dt.datetime(2026, 5, 18, 9, 5, tzinfo=dt.timezone(dt.timedelta(hours=8))).timestamp()


class FakeClock:
    """Time under the test's control (the engine takes any zero-argument callable)."""

    def __init__(self, t: float = SHANGHAI_0905):
        self.t = t

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


def make_settings(data_dir: Path, **env: str) -> Settings:
    environ = {"ZTC_DATA_DIR": str(data_dir), **{f"ZTC_{k}": v for k, v in env.items()}}
    return load_settings(environ=environ)


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
