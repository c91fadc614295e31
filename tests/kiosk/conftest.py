"""Fixtures for the kiosk: a REAL Xvfb X server on a free display, the real Kivy application
driven in-process with real touch events, a real bus database, and the virtual ticket printer
on a free loopback port. Screenshots go to test-artifacts/kiosk (or $ZTC_ARTIFACTS/kiosk).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import support
from tests.documents import conftest as documents_harness
from tests.support import MORNING, FakeClock, make_settings  # noqa: F401 (MORNING: used by tests)
from ztc.db import open_database
from ztc.domain.engine import QueueEngine
from ztc.settings import Settings

REPO = Path(__file__).resolve().parents[2]
SCREEN = (1280, 800)


def artifacts_dir() -> Path:
    return support.artifacts_dir("kiosk")


def _free_display() -> int:
    for n in range(90, 200):
        if not Path(f"/tmp/.X{n}-lock").exists() and not Path(f"/tmp/.X11-unix/X{n}").exists():
            return n
    raise RuntimeError("no free X display number between :90 and :199")


@pytest.fixture(scope="session")
def xvfb() -> Iterator[str]:
    """Start Xvfb on a free display and point Kivy at it (before Kivy creates its window)."""
    exe = shutil.which("Xvfb")
    assert exe, "Xvfb is not installed (Debian package xvfb; scripts/setup-system.sh installs it)"
    for _attempt in range(5):
        n = _free_display()
        proc = subprocess.Popen([exe, f":{n}", "-screen", "0", f"{SCREEN[0]}x{SCREEN[1]}x24", "-nolisten", "tcp"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and proc.poll() is None and not Path(f"/tmp/.X11-unix/X{n}").exists():
            time.sleep(0.05)
        if proc.poll() is None:
            break
    else:
        raise RuntimeError("Xvfb did not start")
    kivy_home = Path(tempfile.mkdtemp(prefix="ztc-kivy-home-"))
    os.environ.update(DISPLAY=f":{n}", KIVY_NO_ARGS="1", KIVY_HOME=str(kivy_home), KIVY_NO_CONSOLELOG="1",
                      KIVY_NO_FILELOG="1")
    from kiosk.kivy_setup import configure

    configure(fullscreen=False, width=SCREEN[0], height=SCREEN[1])
    from kivy.base import EventLoop

    EventLoop.ensure_window()
    yield f":{n}"
    proc.terminate()
    proc.wait(10)
    shutil.rmtree(kivy_home, ignore_errors=True)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def virtual_printer(tmp_path: Path) -> Iterator[Any]:
    from drivers.ticket_printer.virtual import VirtualPrinter

    sim = VirtualPrinter(tmp_path / "paper", name="kiosk")
    sim.start_tcp("127.0.0.1", 0)
    yield sim
    sim.stop()


@pytest.fixture
def settings(tmp_path: Path, virtual_printer: Any) -> Settings:
    return make_settings(tmp_path / "data", DEVICES__TICKET_PRINTER__KIND="sim",
                         DEVICES__TICKET_PRINTER__PORT=str(virtual_printer.tcp_port),
                         DEVICES__TICKET_PRINTER__TEXT_MODE="native")  # decodable text on the virtual paper


@pytest.fixture
def engine(settings: Settings, clock: FakeClock) -> Iterator[QueueEngine]:
    """The test's own engine on the same database file (another connection, like the CLI)."""
    db = open_database(settings.db_path)
    yield QueueEngine(db, settings, clock)
    db.close()


@pytest.fixture
def resident_owner(settings: Settings) -> Iterator[Any]:
    """The resident role's ticket-printer owner (its real code: the configured printer, its own
    thread and database connection), for crew tests: the crew console prints through it."""
    from kiosk.printer_owner import PrinterOwner
    from kiosk.printing import DriverPrinter

    printer = DriverPrinter(settings)
    owner = PrinterOwner(settings, printer, probe_s=0.5, owner="resident (test)")
    owner.start()
    yield owner
    owner.stop()
    printer.close()


@pytest.fixture
def kiosk(xvfb: str, settings: Settings, clock: FakeClock) -> Iterator[Callable[..., Any]]:
    from tests.kiosk.harness import Harness

    started: list[Harness] = []

    def start(role: str, **services: Any) -> Harness:
        h = Harness(role, settings, clock, services)
        started.append(h)
        return h

    yield start
    for h in started:
        h.close()


# The real private cupsd with a cups-pdf queue: the documents suite's session fixture, shared here.
A4_QUEUE = documents_harness.QUEUE
cups = documents_harness.cups
