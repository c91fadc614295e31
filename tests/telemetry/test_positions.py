"""Positions from a real gpsd (fed by gpsfake with the sample day) reach headquarters: recorded as
``track`` events while the link is down, live ``position`` messages once it is up; stop arrivals
detected on the bus reach headquarters as events. Plus bounded track storage."""
from __future__ import annotations

import json
import time
from pathlib import Path

import httpx

from telemetry.health import health_payload
from telemetry.track import TrackRecorder
from tests.gps.harness import GpsFake, day_fixture, padded_log  # the GPS tests' shared gpsfake harness
from tests.hq import conftest as hq_harness
from tests.telemetry.conftest import (
    BUS,
    Broker,
    Proc,
    api_up,
    free_port,
    hq_events,
    settings_for,
    wait_for,
    write_config,
)
from ztc.agent_state import read_agent_state
from ztc.db import open_database, outbox

# Headquarters on each backend (SQLite and the private PostgreSQL cluster): the HQ suite's fixtures.
pg_cluster = hq_harness.pg_cluster
hq_url = hq_harness.hq_url


def recorded_positions(db) -> int:
    with db.read() as conn:
        rows = conn.execute("SELECT data FROM outbox WHERE type = 'track' AND droppable = 1").fetchall()
    return sum(len(json.loads(r[0])["positions"]) for r in rows)


def test_positions_reach_hq_recorded_while_down_and_live_when_up(tmp_path: Path, procs: list[Proc],
                                                                 hq_url: str) -> None:
    bdir = tmp_path / "broker"
    bdir.mkdir()
    broker = Broker(bdir)  # not started yet: the link is down when the day begins
    http = free_port()
    gps_port = free_port()
    config = hq_harness.use_database(write_config(tmp_path, broker.port, http), hq_url)
    text = config.read_text() + f"gps:\n  port: {gps_port}\n  timeout_s: 5\n"
    config.write_text(text)
    settings = settings_for(config)
    db = open_database(settings.db_path)
    log = padded_log(tmp_path / "day.nmea", day_fixture().read_text().splitlines())
    gpsfake = GpsFake(log, gps_port, cycle="0.004").start()
    try:
        agent = Proc(config, ["agent"], tmp_path / "agent.log").start()
        procs.append(agent)
        wait_for(lambda: recorded_positions(db) >= 3, 90, f"positions recorded while offline: {agent.log()}")
        # What the crew console's GPS and uplink lines read: the agent's state file.
        shared = wait_for(lambda: fresh_state(settings, lambda s: s["gps"]["fix"]), 30, "the GPS in the agent state")
        assert shared["link"]["connected"] is False and shared["link"]["last_ack_at"] is None
        assert 36.1 < shared["gps"]["fix"]["lat"] < 36.3 and shared["gps"]["fix"]["mode"] >= 2
        assert shared["gps"]["device"]["connected"] is True and "fix" in shared["gps"]["device"]["detail"]
        broker.start()
        hq = Proc(config, ["hq"], tmp_path / "hq.log").start()
        procs.append(hq)
        wait_for(lambda: api_up(http), 30, "the HQ API")
        bus = wait_for(lambda: next((b for b in httpx.get(f"http://127.0.0.1:{http}/api/v1/buses").json()
                                     if b["id"] == BUS and b["position"]), None), 90,
                       f"a live position at HQ: {agent.log()}")
        assert 36.1 < bus["position"]["lat"] < 36.3 and 118.1 < bus["position"]["lon"] < 118.3
        assert bus["position"]["mode"] >= 2
        wait_for(lambda: gpsfake.proc is None or gpsfake.proc.poll() is not None, 120, "the replay to end")
        wait_for(lambda: _outbox_empty(db), 60, "the outbox to drain")
        events = hq_events(http)
        tracks = [e for e in events if e["type"] == "track"]
        assert sum(len(e["data"]["positions"]) for e in tracks) >= 3
        assert all(p["mode"] >= 2 for e in tracks for p in e["data"]["positions"])
        arrived = [e["data"]["stop"] for e in events if e["type"] == "stop.arrived"]
        assert "nanma-xincun" in arrived, [e["type"] for e in events]
        assert any(e["type"] == "stop.departed" for e in events)
        seen = fresh_state(settings, lambda s: s["link"]["connected"])
        assert seen is not None and seen["link"]["last_ack_at"] is not None
    finally:
        gpsfake.stop()
        broker.stop()
        db.close()


def fresh_state(settings, wanted) -> dict | None:
    found = read_agent_state(settings.data_dir, time.time())
    return found.state if found.fresh and wanted(found.state) else None


def _outbox_empty(db) -> bool:
    with db.read() as conn:
        return outbox.stats(conn)["pending"] == 0


def test_bounded_track_storage_drops_only_recorded_positions(tmp_path: Path) -> None:
    config = write_config(tmp_path, 1, track_max_kb=16)
    settings = settings_for(config)
    db = open_database(settings.db_path)
    with db.write() as conn:
        outbox.append(conn, "ticket.issued", {"number": "A001"}, time.time())
    recorder = TrackRecorder(db, settings.agent.track_max_kb)
    pos = {"ts": 0.0, "lat": 36.19, "lon": 118.18, "speed": 10.0, "track": 90.0, "mode": 3, "stop": None}
    for n in range(1500):
        recorder.record({**pos, "ts": float(n)}, float(n), published_upto=0)
    with db.write() as conn:
        outbox.append(conn, "rating", {"level": 5}, time.time())
    with db.read() as conn:
        rows = conn.execute("SELECT type, droppable, LENGTH(data) FROM outbox ORDER BY seq").fetchall()
        first_kept = json.loads(conn.execute(
            "SELECT data FROM outbox WHERE type = 'track' ORDER BY seq LIMIT 1").fetchone()[0])
    types = [r[0] for r in rows]
    assert types[0] == "ticket.issued" and types[-1] == "rating"  # never dropped
    assert sum(r[2] for r in rows if r[1]) <= 16 * 1024
    assert first_kept["positions"][0]["ts"] > 0  # the oldest positions went first
    health = health_payload(db, settings, "t", time.time(), lambda: {})
    assert health["outbox"]["track"]["dropped"] > 0 and health["outbox"]["track"]["pressure"] is True
    assert any("dropped" in p for p in health["problems"])
    db.close()
