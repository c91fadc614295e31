"""A bus that boots with a wrong clock, as whole processes: the agent and `ztc queue` run under
libfaketime 15 hours behind (fake-hwclock restored last night's shutdown time) or 3 hours ahead, a
real gpsd fed by gpsfake reports the true time, mosquitto and headquarters run on the true clock.

Until the clock is stepped the agent says "clock not set" (the GPS disagrees) and events reach
headquarters with the wrong times; the test then steps the bus's clock (what chrony does once it
trusts the GPS) and headquarters ends up with true times and the tickets on the right Beijing day.
The broker is up before the agent starts: under libfaketime's real-monotonic mode paho's reconnect
wait (time.sleep) would fail (libfaketime issue 426), and this test is about the clock, not the link.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.fake_time import FakeTime
from tests.gps import nmea
from tests.gps.harness import GpsFake
from tests.hq import conftest as hq_harness
from tests.telemetry.conftest import Broker, Proc, api_up, free_port, hq_events, settings_for, wait_for, write_config

BEIJING = ZoneInfo("Asia/Shanghai")

# Headquarters on each backend (SQLite and the private PostgreSQL cluster): the HQ suite's fixtures.
pg_cluster = hq_harness.pg_cluster
hq_url = hq_harness.hq_url


def gps_log(path: Path, seconds: int) -> Path:
    """A receiver with a fix at the true time, one fix a second from now on (nanma-xincun)."""
    start = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0) + dt.timedelta(seconds=1)
    lines = [line for n in range(seconds)
             for line in nmea.fix_lines(start + dt.timedelta(seconds=n), 36.1850, 118.1700)]
    return nmea.write_log(path, lines)


@pytest.mark.parametrize("wrong_by_s", [-15 * 3600, 3 * 3600], ids=["15h-behind", "3h-ahead"])
def test_the_agent_corrects_headquarters_when_the_clock_steps(tmp_path: Path, procs: list[Proc],
                                                              wrong_by_s: int, hq_url: str) -> None:
    bdir = tmp_path / "broker"
    bdir.mkdir()
    broker = Broker(bdir)
    broker.start()
    http, gps_port = free_port(), free_port()
    config = hq_harness.use_database(write_config(tmp_path, broker.port, http), hq_url)
    config.write_text(config.read_text() + f"gps:\n  port: {gps_port}\n  timeout_s: 5\n")
    settings = settings_for(config)
    fake = FakeTime(tmp_path)
    fake.write(wrong_by_s)
    bus_env = fake.env({})

    def queue(*args: str) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ZTC_")} | bus_env
        r = subprocess.run([sys.executable, "-m", "ztc_cli", "--config", str(config), "queue", *args, "--json"],
                           capture_output=True, text=True, env=env, timeout=60)
        assert r.returncode == 0, r.stdout + r.stderr
        return json.loads(r.stdout)

    gpsfake = GpsFake(gps_log(tmp_path / "now.nmea", 240), gps_port, cycle="0.33").start()
    try:
        hq = Proc(config, ["hq"], tmp_path / "hq.log").start()
        procs.append(hq)
        agent = Proc(config, ["agent"], tmp_path / "agent.log", env=bus_env).start()
        procs.append(agent)
        wait_for(lambda: api_up(http), 30, "the HQ API")
        queue("arrive", "--adhoc", "工业园")
        issued = [queue("issue", "A") for _ in range(2)]
        # the offset is a median of recent fixes: wait until it has settled (a loaded machine was seen
        # reporting half the offset from the first two fixes), then it must be the clock's error
        wrong = wait_for(lambda: _clock(settings, lambda c: c["reason"] == "gps_disagrees"
                                        and c.get("gps_offset_s") is not None
                                        and abs(c["gps_offset_s"] + wrong_by_s) < 60), 60,
                         f"the agent to see the GPS disagree by the clock's error: {agent.log()}")
        assert wrong["trusted"] is False and abs(wrong["gps_offset_s"] + wrong_by_s) < 60
        early = wait_for(lambda: [e for e in hq_events(http) if e["type"] == "ticket.issued"] or None, 60,
                         f"the tickets at HQ: {agent.log()}")
        assert all(abs(e["ts"] - time.time() - wrong_by_s) < 300 for e in early)  # the wrong clock's times

        fake.write(0)  # chrony steps the clock
        stepped = wait_for(lambda: _clock(settings, lambda c: c["steps"] == 1), 30, f"the step: {agent.log()}")
        assert abs(stepped["last_step"]["delta_s"] + wrong_by_s) < 60
        third = queue("issue", "A")
        assert [t["number"] for t in [*issued, third]] == ["A001", "A002", "A003"]
        assert third["service_day"] == issued[0]["service_day"]  # no ticket moves to another day
        wait_for(lambda: _clock(settings, lambda c: c["trusted"] and c["reason"] == "gps"), 60,
                 f"the clock trusted again: {agent.log()}")
        now = time.time()
        events = wait_for(lambda: _settled(http, 3), 60, f"true times at HQ: {agent.log()}")
        tickets = [e for e in events if e["type"] == "ticket.issued"]
        assert all(abs(e["ts"] - now) < 300 and abs(e["data"]["issued_at"] - now) < 300 for e in tickets)
        arrived = next(e for e in events if e["type"] == "stop.arrived")
        assert abs(arrived["ts"] - now) < 300
        today = dt.datetime.fromtimestamp(now, BEIJING).date().isoformat()
        stats = httpx.get(f"http://127.0.0.1:{http}/api/v1/stats", params={"date": today}, timeout=10).json()
        assert stats["fleet"]["tickets"] == 3, stats
    finally:
        gpsfake.stop()
        broker.stop()


def _clock(settings, wanted) -> dict | None:
    """The agent state file's clock part, read directly: its ``ts`` is on the bus's (wrong) clock."""
    path = settings.data_dir / "agent-state.json"
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    clock = state.get("clock")
    return clock if isinstance(clock, dict) and wanted(clock) else None


def _settled(http: int, tickets: int) -> list[dict] | None:
    events = hq_events(http)
    issued = [e for e in events if e["type"] == "ticket.issued"]
    ok = len(issued) == tickets and any(e["type"] == "clock.stepped" for e in events)
    return events if ok and all(abs(e["ts"] - time.time()) < 600 for e in issued) else None
