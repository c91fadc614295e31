"""The service day's moving parts and the faults done to them, for ``test_service_day.py``.

Real servers and processes, each started here and stopped at the end: mosquitto (killed and
restarted), a socat relay as the cellular link (cut while driving), gpsd fed by gpsfake with the
sample day (paused while the bus stands at a stop until the crew is done: compressed time is the
kiosk's, the bus waits for it), ``ztc hq``, ``ztc agent`` (SIGKILLed twice), the kiosk driver
process (SIGKILLed once) and the virtual ticket printer (runs out of paper, is refilled).

Every process uses the system clock, so visit, ticket and position times agree; the day is
compressed by running it fast: one simulated minute lasts ``minute_s`` real seconds.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import yaml

from drivers.ticket_printer.virtual import VirtualPrinter
from tests.gps.harness import GpsFake
from tests.scenario import ledger
from tests.scenario.gpsday import shifted_day
from tests.scenario.link import CellularLink
from tests.scenario.plan import STOPS, make_plan
from tests.telemetry.conftest import BUS, REPO, Broker, Proc, api_up, free_port, settings_for, wait_for, write_config
from ztc.db import open_database, outbox
from ztc.domain.engine import QueueEngine, Visit

HQ_USER, HQ_PASSWORD = "dispatcher", "scenario-password-1"


@dataclass(frozen=True)
class DaySize:
    residents: int
    open_min: float           # simulated minutes residents keep arriving at each stop
    minute_s: float           # real seconds per simulated minute
    appointments_per_stop: int
    gps_cycle: str            # gpsfake seconds per NMEA sentence
    timeout_s: float          # how long any one phase may take before the test fails


CI_DAY = DaySize(residents=300, open_min=120, minute_s=0.08, appointments_per_stop=4, gps_cycle="0.005",
                 timeout_s=120)
SOAK_DAY = DaySize(residents=1200, open_min=480, minute_s=0.08, appointments_per_stop=20, gps_cycle="0.02",
                   timeout_s=600)


class DriverProc(Proc):
    """The kiosk driver (``python -m tests.scenario.kiosk_driver``) as a killable subprocess."""

    def __init__(self, config: Path, plan: Path, done: Path, log: Path):
        super().__init__(config, [], log)
        self.plan, self.done = plan, done

    def start(self) -> DriverProc:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ZTC_")}
        self.log_file = open(self.log_path, "ab")  # noqa: SIM115 (closed in kill)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.scenario.kiosk_driver", "--config", str(self.config),
             "--plan", str(self.plan), "--done-dir", str(self.done)],
            cwd=REPO, env=env, stdout=self.log_file, stderr=subprocess.STDOUT)
        return self


class ServiceDay:
    def __init__(self, tmp: Path, size: DaySize):
        self.tmp, self.size = tmp, size
        (tmp / "broker").mkdir()
        self.broker = Broker(tmp / "broker")
        self.link = CellularLink(self.broker.port)
        self.printer = VirtualPrinter(tmp / "paper", name="day", save_png=False)
        self.http = free_port()
        self.gps_port = free_port()
        self.done = tmp / "done"
        self.done.mkdir()
        self.started = time.time()
        self.plan = make_plan(size.residents, size.open_min, size.minute_s, size.appointments_per_stop,
                              slot_start=self.started)
        self.plan_path = self.plan.dump(tmp / "plan.json")
        self.procs: list[Proc] = []
        self.gpsfake: GpsFake | None = None
        self.route: list[tuple[float, float]] = []
        self.faults: list[str] = []

    # --- start ------------------------------------------------------------------------------------

    def start(self) -> None:
        self.broker.start()
        self.link.up()
        self.printer.start_tcp()
        self.config = self._config()
        self.settings = settings_for(self.config)
        self.db = open_database(self.settings.db_path)
        ledger.install(self.db)
        self.engine = QueueEngine(self.db, self.settings)  # the crew's own screen, for the end of the day
        self.hq = self._start(["hq"], "hq")
        wait_for(lambda: api_up(self.http), 60, f"the HQ API: {self.hq.log()}")
        self._publish_documents()
        self.agent = self._start(["agent"], "agent")
        wait_for(self._documents_applied, 60, f"schedule and appointments on the bus: {self.agent.log()}")
        self.driver = DriverProc(self.config, self.plan_path, self.done, self.tmp / "kiosk.log").start()
        self.procs.append(self.driver)
        log, self.route = shifted_day(self.tmp / "day.nmea", end=self.started - 60)
        self.gpsfake = GpsFake(log, self.gps_port, self.size.gps_cycle).start()

    def _config(self) -> Path:
        path = write_config(self.tmp, self.link.port, self.http, linger_s=0.3)
        cfg = yaml.safe_load(path.read_text())
        cfg["hq"]["mqtt"]["port"] = self.broker.port       # headquarters is not behind the bus's link
        cfg["gps"] = {"port": self.gps_port, "timeout_s": 5, "reconnect_max_s": 1}
        cfg["devices"] = {"ticket_printer": {"kind": "sim", "host": "127.0.0.1", "port": self.printer.tcp_port,
                                             "text_mode": "native", "status_timeout_s": 0.5}}
        path.write_text(yaml.safe_dump(cfg, allow_unicode=True))
        return path

    def _start(self, command: list[str], name: str) -> Proc:
        p = Proc(self.config, command, self.tmp / f"{name}.log").start()
        self.procs.append(p)
        return p

    def _publish_documents(self) -> None:
        """Headquarters staff publish today's schedule and the booked appointments (HTTP, logged in)."""
        subprocess.run([sys.executable, "-m", "ztc_cli", "--config", str(self.config), "hq", "user", "add",
                        HQ_USER, "--role", "operator"], input=HQ_PASSWORD + "\n", text=True, check=True,
                       cwd=REPO, capture_output=True)
        with httpx.Client(base_url=f"http://127.0.0.1:{self.http}", timeout=30) as web:
            csrf = web.post("/api/v1/login", json={"name": HQ_USER, "password": HQ_PASSWORD}).json()["csrf"]
            stops = {s.id: s for s in self.settings.route.stops}
            visits = [{"stop": sid, "name": stops[sid].name_zh, "lat": stops[sid].lat, "lon": stops[sid].lon,
                       "radius_m": stops[sid].radius_m, "arrive": self.started + 60 * k,
                       "depart": self.started + 6 * 3600, "services": services}
                      for k, (sid, (services, _)) in enumerate(STOPS.items())]
            for kind, body in (("schedule", {"visits": visits}), ("appointments", {"items": self.plan.appointments})):
                r = web.post(f"/api/v1/documents/{kind}/{BUS}", json=body, headers={"X-CSRF-Token": csrf})
                assert r.status_code == 201, r.text

    def _documents_applied(self) -> bool:
        with self.db.read() as conn:
            return {r[0] for r in conn.execute("SELECT kind FROM documents")} >= {"schedule", "appointments"}

    # --- watching the day ------------------------------------------------------------------------

    def wait_visit(self, stop: str) -> Visit:
        return wait_for(lambda: (v := self.engine.current_visit()) is not None and v.stop_id == stop and v,
                        self.size.timeout_s, f"the bus to arrive at {stop}: {self.agent.log()}")

    def wait_issued(self, visit: Visit, share: float) -> int:
        want = max(1, int(share * len(self.plan.at(visit.stop_id))))
        return wait_for(lambda: (n := self.issued(visit)) >= want and n, self.size.timeout_s,
                        f"{want} tickets at {visit.stop_id}: {self.driver.log()}")

    def issued(self, visit: Visit) -> int:
        with self.db.read() as conn:
            return conn.execute("SELECT COUNT(*) FROM tickets WHERE visit_id = ?", (visit.id,)).fetchone()[0]

    def wait_crew_done(self, visit: Visit) -> None:
        wait_for(lambda: (self.done / visit.id).exists(), self.size.timeout_s * 2,
                 f"the crew to finish at {visit.stop_id}: {self.driver.log()}")

    def wait_departed(self) -> None:
        wait_for(lambda: self.engine.current_visit() is None, self.size.timeout_s, "the bus to leave the stop")

    def pending(self) -> int:
        with self.db.read() as conn:
            return outbox.stats(conn)["pending"]

    # --- faults ---------------------------------------------------------------------------------

    def note(self, what: str) -> None:
        self.faults.append(f"{time.time() - self.started:7.1f}s {what}")

    def gps_hold(self, hold: bool) -> None:
        """The bus stands at the stop (gpsfake paused) until the crew is done, then drives on."""
        assert self.gpsfake is not None and self.gpsfake.proc is not None
        os.kill(self.gpsfake.proc.pid, signal.SIGSTOP if hold else signal.SIGCONT)

    def broker_down(self, minutes: float) -> None:
        self.note(f"broker killed for {minutes:g} simulated minutes")
        self.broker.kill()
        time.sleep(minutes * self.size.minute_s)
        self.broker.start()

    def kill_agent(self) -> None:
        self.note("agent SIGKILL")
        self.agent.kill(signal.SIGKILL)
        self.agent = self._start(["agent"], f"agent-{len(self.procs)}")

    def kill_kiosk(self) -> None:
        self.note("kiosk SIGKILL")
        self.driver.kill(signal.SIGKILL)
        self.driver = DriverProc(self.config, self.plan_path, self.done, self.tmp / "kiosk-2.log").start()
        self.procs.append(self.driver)

    def end_of_day(self) -> None:
        """The replay ends with the bus parked at the depot: the crew closes the last visit by hand."""
        assert self.gpsfake is not None and self.gpsfake.proc is not None
        self.gpsfake.proc.wait(self.size.timeout_s)
        self.engine.depart(source="crew")
        wait_for(lambda: self.pending() == 0, self.size.timeout_s, f"the outbox to drain: {self.agent.log()}")

    def stop(self) -> None:
        if self.gpsfake is not None:
            if self.gpsfake.proc is not None and self.gpsfake.proc.poll() is None:
                os.kill(self.gpsfake.proc.pid, signal.SIGCONT)
            self.gpsfake.stop()
        for p in reversed(self.procs):
            p.kill(signal.SIGTERM)
        self.link.close()
        self.broker.stop()
        self.printer.stop()
        if hasattr(self, "db"):
            self.db.close()
