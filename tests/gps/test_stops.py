"""Stop detection rules with a real queue engine on a temporary bus database: hysteresis, dwell,
driving through, the crew overriding GPS both ways, departure with people still waiting."""
from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pytest

from drivers.gps import Fix
from telemetry.stops import StopDetector, plan_from_database
from ztc.db import open_database
from ztc.domain.engine import QueueEngine
from ztc.settings import load_settings

NANMA = (36.19420, 118.18870)  # route.yaml: radius 80 m, planned 09:00–11:30 local
T0 = dt.datetime(2026, 5, 18, 9, 2, tzinfo=dt.timezone(dt.timedelta(hours=8))).timestamp()
M_PER_DEG_LAT = 111_195.0


def north_of(point: tuple[float, float], metres: float) -> tuple[float, float]:
    return point[0] + metres / M_PER_DEG_LAT, point[1]


class Bus:
    """Drives a detector fix by fix at 1 Hz and remembers the events."""

    def __init__(self, detector: StopDetector, clock: list[float]):
        self.detector, self.clock = detector, clock
        self.t = T0
        self.events: list = []

    def at(self, point: tuple[float, float], seconds: int, speed: float = 0.0, jitter_m: float = 0.0) -> None:
        for n in range(seconds):
            wobble = jitter_m * math.sin(n * 1.7)
            lat, lon = north_of(point, wobble)
            self.step(lat, lon, speed)

    def drive(self, start_m: float, end_m: float, speed: float) -> None:
        """Along the meridian through Nanma, from start_m to end_m metres north of it."""
        steps = max(1, int(abs(end_m - start_m) / speed))
        for n in range(steps + 1):
            lat, lon = north_of(NANMA, start_m + (end_m - start_m) * n / steps)
            self.step(lat, lon, speed)

    def step(self, lat: float, lon: float, speed: float) -> None:
        self.t += 1
        self.clock[0] = self.t
        self.events += self.detector.update(Fix(self.t, lat, lon, speed, 0.0, 3))

    def kinds(self) -> list[tuple[str, str]]:
        return [(e.kind, e.stop) for e in self.events]


@pytest.fixture
def world(tmp_path: Path):
    settings = load_settings(environ={"ZTC_DATA_DIR": str(tmp_path)})
    db = open_database(settings.db_path)
    clock = [T0]
    engine = QueueEngine(db, settings, clock=lambda: clock[0])
    detector = StopDetector(settings.telemetry.stops, plan_from_database(db, settings), engine)
    yield Bus(detector, clock), engine, db
    db.close()


def visits(db) -> list[dict]:
    with db.read() as conn:
        return [dict(r) for r in conn.execute("SELECT * FROM visits ORDER BY opened_at")]


def test_arrival_needs_dwell_and_departure_needs_distance_and_time(world):
    bus, engine, db = world
    bus.at(NANMA, 15)
    assert bus.kinds() == [], "not yet: the minimum dwell is 20 s"
    bus.at(NANMA, 10)
    assert bus.kinds() == [("arrived", "nanma-xincun")]
    assert engine.current_visit().stop_id == "nanma-xincun"
    arrived = bus.events[0]
    assert arrived.late_s == pytest.approx(arrived.ts - (T0 - 120), abs=0.01), "against 09:00 planned"
    # Parked at the edge, the position wandering across the radius (80 m) but not past 80 + 30 m.
    bus.at(north_of(NANMA, 95), 90, jitter_m=12)
    assert bus.kinds() == [("arrived", "nanma-xincun")], "jitter across the radius is not a departure"
    bus.at(north_of(NANMA, 200), 5, speed=8)
    assert len(bus.events) == 1, "departure needs 10 s outside"
    bus.at(north_of(NANMA, 260), 10, speed=8)
    assert bus.kinds()[-1] == ("departed", "nanma-xincun")
    assert engine.current_visit() is None
    [v] = visits(db)
    assert v["opened_by"] == "gps" and v["closed_by"] == "gps"


def test_driving_through_a_stop_is_not_an_arrival(world):
    bus, engine, db = world
    bus.drive(-400, 400, speed=4.0)   # 40 s inside the circle, but never slow
    assert bus.kinds() == [] and engine.current_visit() is None and visits(db) == []


def test_crew_departure_wins_no_reopening_until_the_bus_has_left(world):
    bus, engine, db = world
    bus.at(NANMA, 25)
    engine.depart(source="crew")
    bus.at(NANMA, 120)
    assert bus.kinds() == [("arrived", "nanma-xincun"), ("crew_closed", "nanma-xincun")]
    assert engine.current_visit() is None, "GPS did not reopen what the crew closed"
    bus.drive(0, 400, speed=8)
    bus.drive(400, 0, speed=8)
    bus.at(NANMA, 25)
    assert bus.kinds()[-1] == ("arrived", "nanma-xincun"), "a new approach is a new visit"
    assert [v["closed_by"] for v in visits(db)] == ["crew", None]


def test_crew_visit_elsewhere_is_never_replaced_or_closed_by_gps(world):
    bus, engine, db = world
    adhoc = engine.arrive_adhoc("张家庄村委会", source="crew")
    bus.at(NANMA, 40)
    assert bus.kinds() == [("arrival_skipped", "nanma-xincun")]
    assert "张家庄村委会" in bus.events[0].detail
    bus.drive(0, 500, speed=8)
    bus.at(north_of(NANMA, 500), 30)
    current = engine.current_visit()
    assert current is not None and current.id == adhoc.id, "the on-demand stop stays open"
    assert len(visits(db)) == 1


def test_crew_arrival_first_is_adopted_not_duplicated(world):
    bus, engine, db = world
    bus.at(NANMA, 5)
    engine.arrive("nanma-xincun", source="crew")
    bus.at(NANMA, 25)
    assert bus.kinds() == [("arrived", "nanma-xincun")] and "crew" in bus.events[0].detail
    bus.drive(0, 400, speed=8)
    bus.at(north_of(NANMA, 400), 15)
    [v] = visits(db)
    assert v["opened_by"] == "crew" and v["closed_by"] == "gps"


def test_leaving_with_tickets_open_leaves_the_decision_to_the_crew(world):
    bus, engine, db = world
    bus.at(NANMA, 25)
    ticket = engine.issue("A")
    bus.drive(0, 400, speed=8)
    bus.at(north_of(NANMA, 400), 100)
    kinds = bus.kinds()
    assert kinds == [("arrived", "nanma-xincun"), ("departure_pending", "nanma-xincun")], "reported once"
    visit = engine.current_visit()
    assert visit is not None and visit.closing is True, "no new tickets, the visit stays open"
    assert engine.ticket(ticket.id).state == "waiting", "nobody's number disappeared"
    assert bus.detector.status()["departure_pending"] is True
    engine.depart(source="crew", decision="release")
    bus.at(north_of(NANMA, 400), 2)
    assert bus.kinds()[-1] == ("crew_closed", "nanma-xincun")
    assert engine.current_visit() is None
    [v] = visits(db)
    assert v["closed_by"] == "crew"


def test_departure_retried_once_the_crew_has_served_everyone(world):
    bus, engine, db = world
    bus.at(NANMA, 25)
    ticket = engine.issue("A")
    bus.drive(0, 400, speed=8)
    bus.at(north_of(NANMA, 400), 15)
    assert bus.kinds()[-1][0] == "departure_pending"
    engine.cancel(ticket.id)      # the resident gave up: nothing open any more
    bus.at(north_of(NANMA, 400), 40)
    assert bus.kinds()[-1] == ("departed", "nanma-xincun")
    assert visits(db)[0]["closed_by"] == "gps"


def test_detect_only_mode_changes_nothing(tmp_path: Path):
    settings = load_settings(environ={"ZTC_DATA_DIR": str(tmp_path)})
    db = open_database(settings.db_path)
    clock = [T0]
    bus = Bus(StopDetector(settings.telemetry.stops, plan_from_database(db, settings)), clock)
    bus.at(NANMA, 25)
    bus.drive(0, 400, speed=8)
    bus.at(north_of(NANMA, 400), 15)
    assert bus.kinds() == [("arrived", "nanma-xincun"), ("departed", "nanma-xincun")]
    assert visits(db) == []
    db.close()


def test_schedule_lateness_while_driving(world):
    bus = world[0]
    bus.drive(-1500, -1000, speed=10)   # still on the way at ~09:03, planned arrival 09:00
    status = bus.detector.status()
    assert status["stop"] is None
    assert status["schedule"]["next_stop"] == "nanma-xincun"
    assert status["schedule"]["late_s"] == pytest.approx(bus.t - (T0 - 120), abs=0.01)


def test_a_broken_plan_keeps_gps_running(world, caplog):
    bus = world[0]
    bus.at(north_of(NANMA, 3000), 1)   # the plan is read with the first fix

    def broken(now: float):
        raise ValueError("schedule document unreadable")

    bus.detector.plan = broken
    bus.detector._plan_loaded_at = None
    bus.at(NANMA, 25)
    assert "cannot read the stop plan" in caplog.text
    assert bus.kinds() == [("arrived", "nanma-xincun")], "the last good plan is kept"


def test_database_trouble_at_arrival_is_retried_with_the_next_fix(world, caplog):
    from ztc.db import StorageError

    bus, engine, db = world

    class FlakyEngine:
        """The real engine, except that the first arrival hits a full disk."""

        failures = 1

        def arrive(self, stop_id, source="crew"):
            if self.failures:
                self.failures -= 1
                raise StorageError("存储空间已满 / storage full (test)")
            return engine.arrive(stop_id, source)

        def depart(self, source="crew", decision=None):
            return engine.depart(source, decision)

        def current_visit(self):
            return engine.current_visit()

    bus.detector.engine = FlakyEngine()
    bus.at(NANMA, 25)
    assert "GPS arrival not recorded" in caplog.text
    assert bus.kinds() == [("arrived", "nanma-xincun")], "recorded one fix later"
    assert len(visits(db)) == 1


def test_bus_only_moved_comes_back_and_takes_tickets_again(world):
    bus, engine, db = world
    bus.at(NANMA, 25)
    engine.issue("A")
    bus.drive(0, 400, speed=8)
    bus.at(north_of(NANMA, 400), 15)
    assert bus.kinds()[-1][0] == "departure_pending"
    assert engine.snapshot().accepting is False
    bus.drive(400, 0, speed=8)
    bus.at(NANMA, 5)
    assert bus.kinds()[-1] == ("returned", "nanma-xincun")
    assert engine.snapshot().accepting is True
    assert engine.issue("A").number == "A002"
    assert len(visits(db)) == 1
