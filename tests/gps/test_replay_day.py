"""The shared sample day, replayed by a real gpsd (gpsfake), read by GpsdSource, driving stop
detection and a real queue engine on a temporary bus database — once per module, ~15 s."""
from __future__ import annotations

import datetime as dt
import itertools
import json
import time
from pathlib import Path

import pytest

from drivers.gps import GpsdSource
from telemetry.stops import StopDetector, plan_from_database
from tests.support import free_port
from ztc.db import open_database
from ztc.domain.engine import QueueEngine
from ztc.settings import load_settings

from . import nmea
from .harness import Collector, GpsFake, day_fixture, padded_log

DAY_START = dt.datetime(2026, 5, 18, 1, 0, 0, tzinfo=dt.UTC).timestamp()


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("gpsday")
    lines = nmea.fixture_lines(day_fixture())
    last_ts = nmea.first_time(lines[-3:]).replace(tzinfo=dt.UTC).timestamp()
    settings = load_settings(environ={"ZTC_DATA_DIR": str(tmp / "data")})
    db = open_database(settings.db_path)
    fix_time = [DAY_START]
    engine = QueueEngine(db, settings, clock=lambda: fix_time[0])  # the bus's clock = GPS time here
    detector = StopDetector(settings.telemetry.stops, plan_from_database(db, settings), engine)
    events = []
    at_last_fix: dict = {}

    def on_fix(fix):
        fix_time[0] = fix.ts
        if fix.ts >= last_ts and not at_last_fix:
            # Health as the last fix arrives: gpsfake ends (and takes gpsd down) soon after its log.
            at_last_fix.update(status=source.get_status(), received_at=time.time())
        events.extend(detector.update(fix))

    # A few seconds without fix after the day: the report that tells the source the last fix is complete.
    run = GpsFake(padded_log(tmp / "day.nmea", lines, trailing_s=3), free_port()).start()
    source = GpsdSource("127.0.0.1", run.port, timeout_s=10, reconnect_max_s=1)
    collector = Collector(source, on_fix).start()
    finished = collector.wait_for(lambda fixes: bool(fixes) and fixes[-1].ts >= last_ts, timeout=120)
    collector.stop()
    run.stop()
    assert not collector.errors, collector.errors
    assert finished, f"the day did not finish replaying; got {len(collector.fixes)} fixes\n{run.output()}"
    yield {"fixes": collector.fixes, "events": events, "status": at_last_fix["status"], "db": db,
           "engine": engine, "detector": detector, "expected": len(lines) // 3,
           "received_at": at_last_fix["received_at"], "last_ts": last_ts}
    db.close()


def test_fixes_from_real_gpsd_arrive_and_pass_the_filters(day):
    fixes = day["fixes"]
    # Every fix of the day (gpsd reports each 1 Hz cycle once it has learned the cycle).
    assert len(fixes) >= 0.98 * day["expected"]
    assert fixes[0].ts == DAY_START, "the first real fix after the no-fix start-up is the day's first"
    assert all(b.ts > a.ts for a, b in itertools.pairwise(fixes)), "strictly increasing time"
    first = fixes[0]
    assert first.mode == 3 and abs(first.lat - 36.1849) < 0.001 and abs(first.lon - 118.1706) < 0.001
    assert all(f.alt == pytest.approx(212.0) and f.eph is not None for f in fixes[5:])
    moving = [f for f in fixes if f.speed and f.speed > 5]
    assert moving and all(f.speed == pytest.approx(11.0, abs=0.1) for f in moving)
    rejected = day["status"]["rejected"]
    assert rejected.get("no_fix", 0) >= 100, "the no-fix start-up (mode 1) is refused"
    for reason in ("jump", "future", "null_island", "not_finite"):
        assert reason not in rejected, f"a clean day must not trip {reason}: {rejected}"


def test_health_reports_fix_and_clock_drift(day):
    status = day["status"]
    assert status["connected"] is True, status
    assert status["mode"] == 3 and status["fixes"] == len(day["fixes"]), status
    assert status["last_fix_ts"] == day["last_ts"], status
    # The sample day is months old: the system clock is "ahead of GPS" by that much, and health says so.
    expected = day["received_at"] - day["last_ts"]
    assert status["clock_drift_s"] == pytest.approx(expected, abs=120), status
    assert status["state"] == "degraded", status
    assert "system clock" in status["detail"] and "系统时钟" in status["detail"], status


def test_sample_day_stops_detected_in_order_and_visits_opened_and_closed(day):
    events = [(e.kind, e.stop) for e in day["events"]]
    assert events == [
        ("arrived", "depot"), ("departed", "depot"),
        ("arrived", "nanma-xincun"), ("departed", "nanma-xincun"),
        ("arrived", "lishan-park"), ("departed", "lishan-park"),
        ("arrived", "depot"),
    ]
    with day["db"].read() as conn:
        visits = [dict(r) for r in conn.execute(
            "SELECT id, stop_id, opened_by, closed_by, opened_at, closed_at FROM visits ORDER BY opened_at")]
        rows = conn.execute("SELECT type, data FROM outbox WHERE type LIKE 'stop.%' ORDER BY seq").fetchall()
    assert [v["stop_id"] for v in visits] == ["depot", "nanma-xincun", "lishan-park", "depot"]
    assert all(v["opened_by"] == "gps" for v in visits)
    assert [v["closed_by"] for v in visits] == ["gps", "gps", "gps", None], "the last stop is still open"
    # Opened after the minimum dwell (depot: the day starts there), closed after the bus left.
    assert visits[0]["opened_at"] - DAY_START >= 20
    for v in visits[:3]:
        assert v["closed_at"] - v["opened_at"] >= 40
    assert day["engine"].current_visit().stop_id == "depot"
    # The outbox carries the same story for headquarters, in order.
    story = [(t, json.loads(d)["stop"]) for t, d in rows]
    assert story == [("stop.arrived", "depot"), ("stop.departed", "depot"),
                     ("stop.arrived", "nanma-xincun"), ("stop.departed", "nanma-xincun"),
                     ("stop.arrived", "lishan-park"), ("stop.departed", "lishan-park"),
                     ("stop.arrived", "depot")]
    assert all(json.loads(d)["source"] == "gps" for _, d in rows)


def test_arrival_lateness_against_the_schedule(day):
    arrivals = {e.stop: e for e in day["events"] if e.kind == "arrived" and e.stop != "depot"}
    # Planned 09:00 local at nanma-xincun (route.yaml); the sample bus gets there at 09:04:08.
    nanma = arrivals["nanma-xincun"]
    assert nanma.late_s == pytest.approx(nanma.ts - (DAY_START), abs=0.1)
    assert 200 < nanma.late_s < 300
    # Lishan is planned for 13:30, the sample bus is there before 09:15: early, negative lateness.
    assert arrivals["lishan-park"].late_s < -4 * 3600
    status = day["detector"].status()
    assert status["stop"] == "depot" and status["inside"] == "depot"


def test_position_policy_thins_the_day(day):
    from telemetry.position_policy import PositionPolicy

    settings = load_settings(environ={"ZTC_DATA_DIR": str(Path(day["db"].path).parent)})
    policy = PositionPolicy(settings.telemetry)
    published = [f for f in day["fixes"] if policy.decide(f, link_up=True).publish]
    # 22 minutes, half of it parked: far fewer messages than fixes (the 1 MB/day budget) ...
    assert len(published) <= len(day["fixes"]) // 8
    # ... but the map still sees every leg: no fix of the day is farther than one publishing distance from
    # a published position, and every stop has one.
    from drivers.gps.geo import distance_m
    far = max(min(distance_m(f.lat, f.lon, p.lat, p.lon) for p in published) for f in day["fixes"])
    assert far <= settings.telemetry.min_distance_m
    for stop in settings.route.stops:
        assert min(distance_m(stop.lat, stop.lon, p.lat, p.lon) for p in published) <= stop.radius_m
    gaps = [b.ts - a.ts for a, b in itertools.pairwise(published)]
    assert min(gaps) >= settings.telemetry.min_interval_s
    assert max(gaps) <= settings.telemetry.parked_interval_s
