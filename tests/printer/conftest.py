"""Fixtures for the ticket printer: a real virtual printer on a free loopback port or a real PTY,
settings in a temp dir, a real bus database with the queue engine, and the artifacts folder."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from drivers.ticket_printer.virtual import Faults, VirtualPrinter
from tests import support
from tests.support import make_settings
from ztc.db import open_database
from ztc.domain.engine import QueueEngine
from ztc.settings import Settings

REPO = Path(__file__).resolve().parents[2]
STOP_NAME = "张家庄村委会"


def artifacts_dir() -> Path:
    """Where CI keeps the PNG of every decoded ticket: $ZTC_ARTIFACTS/printer."""
    return support.artifacts_dir("printer")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
def engine(settings: Settings) -> Iterator[QueueEngine]:
    """The real queue engine on a real database, the bus open on appointment at a village (all services)."""
    db = open_database(settings.db_path)
    eng = QueueEngine(db, settings)
    eng.arrive_adhoc(STOP_NAME)
    yield eng
    db.close()


@pytest.fixture
def sim_factory(tmp_path: Path) -> Iterator:
    """Start virtual printers (TCP on a free port, or a PTY behind a by-id style symlink)."""
    started: list[VirtualPrinter] = []

    def start(name: str, width_dots: int = 576, faults: Faults | None = None, pty: bool = False,
              out_dir: Path | None = None) -> VirtualPrinter:
        sim = VirtualPrinter(out_dir or artifacts_dir(), width_dots=width_dots, faults=faults, name=name)
        started.append(sim)
        if pty:
            sim.start_pty(tmp_path / f"usb-Virtual_ESC_POS_{name}-if00")
        else:
            sim.start_tcp("127.0.0.1", 0)
        return sim

    yield start
    for sim in started:
        sim.stop()


@pytest.fixture
def sim(sim_factory, tmp_path: Path) -> VirtualPrinter:
    """A TCP virtual printer whose pictures go to the test's temp dir (fault tests)."""
    return sim_factory("fault", out_dir=tmp_path / "paper")
