"""Home visits on the bus: headquarters' schedule (a ``kind: home`` visit) and appointments applied
through the real downlink, the crew's day list, opening one without a kiosk check-in and serving it
like any ticket; and the stops the crew may arrive at by hand (headquarters' first)."""
from __future__ import annotations

import json

import pytest

from contract import protocol
from telemetry.downlink import Downlink
from tests.support import MORNING
from ztc.domain.engine import QueueEngine
from ztc.domain.errors import QueueError

HOME = "home-0123456789abcdef"


def apply(engine: QueueEngine, kind: str, body: dict) -> None:
    downlink = Downlink(engine.db, engine.settings, reply=lambda _m: True, clock=engine.clock)
    assert downlink.apply_document(kind, json.dumps(body, ensure_ascii=False).encode()) == "applied"


def schedule(version: int = 1) -> dict:
    return {"version": version, "visits": [
        {"stop": "dongli-square", "name": "东里镇广场", "lat": 36.2, "lon": 118.2, "radius_m": 100,
         "arrive": MORNING - 600, "depart": MORNING + 3 * 3600, "services": ["A", "B"]},
        {"stop": HOME, "name": "南麻街道幸福村3组12号", "lat": 36.19, "lon": 118.17, "radius_m": 50,
         "arrive": MORNING + 4 * 3600, "depart": MORNING + 5 * 3600, "services": ["A"], "kind": "home"}]}


def appointments() -> dict:
    return {"version": 1, "items": [{"id": "b1", "code": "482913", "stop": HOME, "slot_start": MORNING + 4 * 3600,
                                     "slot_end": MORNING + 5 * 3600, "service": "A", "name_masked": "李*",
                                     "phone_last4": "1111", "needs": "卧床：需要轮椅通道"}]}


def test_the_crew_opens_a_home_visit_and_serves_it_without_a_kiosk(engine: QueueEngine) -> None:
    apply(engine, protocol.SCHEDULE, schedule())
    apply(engine, protocol.APPOINTMENTS, appointments())
    [home] = engine.home_visits()
    assert home["address"] == "南麻街道幸福村3组12号" and home["needs"] == "卧床：需要轮椅通道"
    assert home["slot"] == "13:05–14:05" and home["code"] == "482913" and home["service"] == "A"
    assert home["number"] is None
    with pytest.raises(QueueError) as e:
        engine.open_home_visit("nope")
    assert e.value.code == "no_appointment"
    engine.clock.advance(4 * 3600)  # driven there
    opened = engine.open_home_visit("b1")
    assert opened.visit.stop_id == HOME and opened.visit.stop_name == "南麻街道幸福村3组12号"
    assert opened.ticket.appointment_id == "b1"
    engine.open_window(1, "c1", ["A"])
    called = engine.call_next(1)
    assert called.id == opened.ticket.id
    engine.start(1)
    done = engine.complete(1, "A01", "completed")
    assert done.state == "served"
    assert engine.home_visits()[0]["state"] == "served"
    assert engine.open_home_visit("b1").already is True  # opening again does not issue twice


def test_the_crew_chooses_among_the_stops_headquarters_scheduled(engine: QueueEngine) -> None:
    apply(engine, protocol.SCHEDULE, schedule())
    stops = engine.scheduled_stops()
    assert stops[0] == {"id": "dongli-square", "name_zh": "东里镇广场", "name_en": "", "time": "08:55–12:05",
                        "scheduled": True}
    assert HOME not in {s["id"] for s in stops}  # home visits are listed apart
    assert {s["id"] for s in stops} >= {s.id for s in engine.settings.route.stops}
    assert engine.arrive("dongli-square").stop_name == "东里镇广场"
    engine.depart("crew")
    engine.clock.advance(8 * 3600)  # evening: outside the planned window, still a known place
    visit = engine.arrive("dongli-square")
    assert visit.stop_name == "东里镇广场" and visit.adhoc is True
