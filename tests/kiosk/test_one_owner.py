"""One owner per device: a serial ticket printer on a pseudo-terminal, the agent and the crew console
(their real code, in this process) beside the resident kiosk (a real ``ztc kiosk --role resident``
process under the test's Xvfb). The only bytes on the line are the resident's: nothing arrives while
only the agent and the crew run, a crew test print arrives as exactly one job, and the printer's
state (paper out set on the simulator) reaches the crew console and the agent within seconds."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.kiosk.conftest import REPO
from tests.kiosk.test_crew import CREW, PIN, open_devices
from tests.support import make_settings
from ztc.db import open_database, print_requests
from ztc.domain.crew import CrewAccounts
from ztc.domain.engine import QueueEngine
from ztc.settings import Settings


def printer_env(sim: Any) -> dict[str, str]:
    return {"DEVICES__TICKET_PRINTER__KIND": "serial", "DEVICES__TICKET_PRINTER__DEVICE": str(sim.pty_link),
            "DEVICES__TICKET_PRINTER__BAUDRATE": "115200", "DEVICES__TICKET_PRINTER__TEXT_MODE": "native"}


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[Any]:
    from drivers.ticket_printer.virtual import VirtualPrinter

    printer = VirtualPrinter(tmp_path / "paper", name="owner")
    printer.start_pty(tmp_path / "usb-Virtual_ESC_POS_owner-if00")
    yield printer
    printer.stop()


@pytest.fixture
def settings(tmp_path: Path, sim: Any) -> Settings:   # the crew console's and the agent's, as the resident's
    return make_settings(tmp_path / "data", **printer_env(sim))


class AgentThread:
    """The real agent loop's steps (its link never connects: no broker here), every 0.2 s."""

    def __init__(self, settings: Settings):
        from telemetry.agent import Agent, build_link

        db = open_database(settings.db_path)
        self.db = db
        self.agent = Agent(settings, db, build_link(settings, "test", "boot"), QueueEngine(db, settings))
        self.health_reports = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        last = None
        while not self._stop.is_set():
            self.agent.step()
            if self.agent._health is not last:
                last = self.agent._health
                self.health_reports += 1
            time.sleep(0.2)

    @property
    def printer(self) -> dict[str, Any]:
        health = self.agent._health or {}
        return dict(health.get("devices", {}).get("ticket_printer", {}))

    def __enter__(self) -> AgentThread:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)
        self.db.close()


def fds_on(pid: int | str, path: str) -> list[str]:
    """The process's file descriptors open on ``path`` (the pseudo-terminal's device)."""
    out = []
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            if os.path.realpath(f"/proc/{pid}/fd/{fd}") == path:
                out.append(fd)
        except OSError:
            pass
    return out


def printer_row(k: Any) -> str:
    """The devices tab's ticket-printer line without its markup: "号票打印机  正常  …"."""
    texts = (re.sub(r"\[/?[a-z]+(=[^\]]*)?\]", "", text) for text in k.texts().splitlines())
    return next((text for text in texts if text.startswith("号票打印机")), "")


def test_only_the_resident_kiosk_opens_the_ticket_printer(kiosk, settings, sim, tmp_path, monkeypatch):
    monkeypatch.setattr(print_requests, "ANSWER_S", 2.0)   # the crew's "not answering" sooner than 15 s
    CrewAccounts(open_database(settings.db_path)).set_pin(CREW, PIN)
    with AgentThread(settings) as agent:
        k = kiosk("crew")
        open_devices(k, "号票打印机")
        assert "前台未运行" in printer_row(k), k.texts()          # nobody owns it yet, and the crew are told

        # Only the agent and the crew: several health periods and table reads, and a test print nobody takes.
        k.tap_id("test_print_button")
        k.pump(until=lambda: "前台未应答" in k.screen.ids.message.text, timeout=30)
        reports = agent.health_reports
        k.pump(8.0)
        assert agent.health_reports >= reports + 3                # the agent reported health all along…
        assert "前台未运行" in agent.printer["detail"] and agent.printer["state"] == "offline"
        assert sim.bytes_received == 0 and sim.status_queries == 0   # …and not one byte reached the printer
        assert sim.tickets == [] and sim.spoiled == []

        # The resident kiosk starts: it owns the printer, publishes its state, prints the crew's requests.
        env = {**os.environ, **{f"ZTC_{key}": value for key, value in printer_env(sim).items()},
               "ZTC_DATA_DIR": str(settings.data_dir), "ZTC_KIOSK__FULLSCREEN": "false",
               "KIVY_HOME": str(tmp_path / "kivy-resident")}
        log = tmp_path / "resident.log"
        with open(log, "wb") as out:
            resident = subprocess.Popen([sys.executable, "-m", "ztc_cli", "kiosk", "--role", "resident", "--windowed"],
                                        cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            k.pump(until=lambda: "号票打印机  正常" in printer_row(k) or resident.poll() is not None, timeout=90)
            assert resident.poll() is None, log.read_text()[-3000:]
            assert "号票打印机  正常" in printer_row(k)                 # the owner's state, published on its own
            assert sim.status_queries > 0                            # the resident asked the printer
            assert fds_on(resident.pid, os.path.realpath(sim.pty_path)), "the resident holds the serial line"

            k.settle()                                                # the crew's test print: one job
            k.tap_id("test_print_button")
            k.pump(until=lambda: "✓" in k.screen.ids.message.text, timeout=60)
            assert "样票已打印" in k.screen.ids.message.text
            printed = sim.wait_for_tickets(1)
            k.pump(2.0)                                               # the expired request never follows it
            assert len(sim.tickets) == 1 and sim.spoiled == [], (sim.tickets, sim.spoiled)
            assert "副本" in printed[0].text()
            with open_database(settings.db_path).read() as conn:
                states = [r[0] for r in conn.execute("SELECT state FROM print_requests ORDER BY id")]
            assert states == ["expired", "done"]
            sim.faults.paper = "out"                                  # the roll runs out
            seen_at = time.monotonic()
            k.pump(until=lambda: "缺纸" in printer_row(k), timeout=10)
            shown_after_s = time.monotonic() - seen_at
            print(f"paper out shown on the crew console after {shown_after_s:.1f} s")
            assert "故障" in printer_row(k) and shown_after_s < 8, (printer_row(k), shown_after_s)
            deadline = time.monotonic() + 10                          # the agent's health says it too
            while "缺纸" not in agent.printer.get("detail", "") and time.monotonic() < deadline:
                time.sleep(0.2)
            assert agent.printer["state"] == "error" and "缺纸" in agent.printer["detail"]

            mine = fds_on("self", os.path.realpath(sim.pty_path))
            assert mine == [str(sim._pty[1])], mine                   # this process: only the simulator's own end
            assert resident.poll() is None, log.read_text()[-3000:]
        finally:
            resident.terminate()
            try:
                resident.wait(15)
            except subprocess.TimeoutExpired:
                resident.kill()
                resident.wait(5)
