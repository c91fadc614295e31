"""Fixtures for the document camera, pipeline, scan storage and A4 printing.

The A4 tests print through a real private cupsd (started here, on a free loopback port, with its
own config dir and a cups-pdf queue whose PDFs land in a temp dir) and stop it afterwards.
"""
from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from drivers.a4_printer import A4Printer
from drivers.a4_printer.sim_cupsd import PrivateCups
from ztc.db import Database, open_database
from ztc.domain.engine import QueueEngine, Ticket
from ztc.settings import Settings, load_settings

QUEUE = "ztc-a4"
NINE_AM = dt.datetime(2026, 5, 18, 9, 5, tzinfo=dt.timezone(dt.timedelta(hours=8))).timestamp()


def shared_dir() -> Path:
    env = os.environ.get("ZTC_SHARED_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[2] / ".." / "shared"


@pytest.fixture(scope="session")
def documents_dir() -> Path:
    path = shared_dir() / "fixtures" / "documents"
    assert (path / "corners.json").is_file(), f"document fixtures missing at {path} (set ZTC_SHARED_DIR)"
    return path


@pytest.fixture(scope="session")
def true_corners(documents_dir: Path) -> dict[str, list[list[float]]]:
    return json.loads((documents_dir / "corners.json").read_text())


@pytest.fixture(scope="session")
def cups() -> Iterator[PrivateCups]:
    problem = PrivateCups.missing()
    assert problem is None, problem
    server = PrivateCups().start()
    server.add_pdf_queue(QUEUE)
    yield server
    server.stop()


@pytest.fixture
def printer(cups: PrivateCups) -> Iterator[A4Printer]:
    cups.start_queue(QUEUE)
    yield A4Printer(QUEUE, cups.server, job_timeout_s=60)
    cups.start_queue(QUEUE)   # a test that stopped the queue must not break the next one


class Clock:
    def __init__(self, t: float = NINE_AM):
        self.t = t

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(environ={"ZTC_DATA_DIR": str(tmp_path / "data")})


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    database = open_database(settings.db_path)
    yield database
    database.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def engine(db: Database, settings: Settings, clock: Clock) -> QueueEngine:
    return QueueEngine(db, settings, clock)


def serving_ticket(engine: QueueEngine) -> Ticket:
    """A ticket being served at window 1 (what the crew has when they scan and copy)."""
    engine.arrive("nanma-xincun", "crew")
    engine.open_window(1, "007", ["A"])
    ticket = engine.issue("A")
    engine.call_next(1)
    engine.start(1)
    return ticket
