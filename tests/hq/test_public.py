"""Public pages and their data: no log-in, upcoming stops and live waiting per service, a ticket's
status — and never a crew name, an appointment's name or phone digits, or device details."""
from __future__ import annotations

import json
import time

from contract import protocol
from tests.hq.conftest import Hq, shipped_catalog

CREW = "王五"


def seed(hq: Hq) -> float:
    now = time.time()
    hq.clock.now = now
    hq.store.record_status("bus-a", protocol.Status(online=True, ts=now, sw="1", boot="b1"), now)
    hq.position("bus-a", now, stop="nanma", speed=0.1)
    hq.store.record_latest("bus-a", "queue", {"ts": now, "stop": "nanma", "waiting": 4, "by_service": {"A": 3, "D": 1},
                                              "serving": 1, "windows_open": 2, "issued_today": 9, "served_today": 5,
                                              "accepting": True}, now)
    health = {"ts": now, "sw": "1", "disk_free_mb": 1, "outbox": {"pending": 0, "oldest_ts": None},
              "devices": {"ticket_printer": {"state": "error", "detail": "缺纸"}}}
    hq.store.record_latest("bus-a", "health", health, now)
    hq.events("bus-a", [
        ("ticket.issued", now - 300, {"ticket_id": "tk-1", "number": "A012", "service": "A", "stop": "nanma",
                                      "issued_at": now - 300, "appointment_id": "ap1"}),
        ("ticket.called", now - 100, {"ticket_id": "tk-1", "number": "A012", "window": 2, "crew": CREW}),
        ("ticket.issued", now - 50, {"ticket_id": "tk-2", "number": "A013", "service": "A", "stop": "nanma"}),
        ("rating", now - 20, {"ticket_id": "tk-0", "level": 1, "crew": CREW, "service": "A", "reasons": ["attitude"]}),
    ])
    c, csrf = hq.login()
    h = {"X-CSRF-Token": csrf}
    c.post("/api/v1/documents/catalog", json=shipped_catalog(), headers=h)
    visits = [{"stop": "lishan", "name": "历山工业园", "lat": 36.2, "lon": 118.15, "radius_m": 80,
               "arrive": now + 3600, "depart": now + 7200, "services": ["A", "D"], "theme": "消防安全专场"},
              {"stop": "old", "name": "已过站点", "lat": 36.2, "lon": 118.15, "radius_m": 80,
               "arrive": now - 7200, "depart": now - 3600, "services": ["A"]}]
    assert c.post("/api/v1/documents/schedule/bus-a", json={"visits": visits}, headers=h).status_code == 201
    appts = {"items": [{"id": "ap1", "code": "123456", "slot_start": now, "slot_end": now + 900, "service": "A",
                        "name_masked": "赵*", "phone_last4": "4321", "needs": "轮椅"}]}
    assert c.post("/api/v1/documents/appointments/bus-a", json=appts, headers=h).status_code == 201
    return now


def test_public_buses_show_position_waiting_and_upcoming_stops(hq: Hq) -> None:
    seed(hq)
    buses = hq.client().get("/api/public/buses").json()
    b = buses[0]
    assert b["online"] is True and b["position"]["stop"] == "nanma" and b["position"]["moving"] is False
    assert b["queue"]["waiting"] == 4 and b["queue"]["by_service"] == {"A": 3, "D": 1}
    assert [v["name"] for v in b["upcoming"]] == ["历山工业园"]  # past visits are left out
    assert b["upcoming"][0]["theme"] == "消防安全专场"
    services = hq.client().get("/api/public/services").json()
    assert services["A"].startswith("市场主体登记")


def test_ticket_status_once_it_reached_headquarters(hq: Hq) -> None:
    seed(hq)
    c = hq.client()
    t = c.get("/api/public/tickets/tk-1").json()
    assert t["number"] == "A012" and t["status"] == "called" and t["window"] == 2
    assert "请到窗口" in t["status_text"]
    t2 = c.get("/api/public/tickets/tk-2").json()
    assert t2["status"] == "waiting" and t2["waiting_in_service"] == 3
    r = c.get("/api/public/tickets/unknown-ticket")
    assert r.status_code == 404 and "尚未收到" in r.json()["detail"]
    assert c.get("/api/public/tickets/..%2F..%2Fetc").status_code == 404


def test_public_data_carries_no_crew_names_or_personal_data(hq: Hq) -> None:
    seed(hq)
    c = hq.client()
    texts = [c.get("/api/public/buses").text, c.get("/api/public/tickets/tk-1").text,
             c.get("/api/public/tickets/tk-2").text, c.get("/api/public/services").text]
    for text in texts:
        # the phone's last four digits as a JSON string: bare digits also occur in timestamps' fractions
        for secret in (CREW, "crew", "赵*", '"4321"', "phone", "appointment", "缺纸", "ticket_printer", "health"):
            assert secret not in text, (secret, text[:300])
    assert "tk-0" not in json.dumps(texts)  # ratings are not public


def test_public_pages_are_served_without_login(hq: Hq) -> None:
    c = hq.client()
    for path in ("/public", "/t/tk-1", "/static/public.js", "/static/ticket.js", "/api/v1/map-config"):
        assert c.get(path).status_code == 200, path
    page = c.get("/public").text
    assert '<html lang="zh-CN">' in page and "width=device-width" in page
    assert page.index("政务服务直通车") < page.index("government service bus")  # Chinese first
