"""Management: documents validated as the buses validate them, versions increasing, kept and sent
later when the broker is away; announcements; bad-rating cases; alerts; CSV and PDF reports."""
from __future__ import annotations

import csv
import io
import time

from contract import protocol
from tests.hq.conftest import Hq, shipped_catalog, since_midnight


def visit(stop: str = "nanma", services: list[str] | None = None, start: float = 2_000_000_000) -> dict:
    return {"stop": stop, "name": "南麻新村", "lat": 36.19, "lon": 118.18, "radius_m": 80, "arrive": start,
            "depart": start + 3600, "services": services or ["A"]}


def test_catalog_versions_increase_and_are_published_retained(hq: Hq) -> None:
    c, csrf = hq.login()
    h = {"X-CSRF-Token": csrf}
    first = c.post("/api/v1/documents/catalog", json=shipped_catalog(), headers=h).json()
    second = c.post("/api/v1/documents/catalog", json={**shipped_catalog(), "version": 1}, headers=h).json()
    assert (first["version"], second["version"]) == (1, 2)  # a version in the body is ignored
    topic, payload, qos, retain = hq.published[-1]
    assert (topic, qos, retain) == (protocol.FLEET_CATALOG, 1, True)
    assert protocol.validate(protocol.Catalog, payload).version == 2  # what the bus accepts


def test_invalid_documents_are_refused_with_the_reason_and_not_published(hq: Hq) -> None:
    c, csrf = hq.login()
    h = {"X-CSRF-Token": csrf}
    bad = {"services": [{"code": "A", "name_zh": "x", "name_en": "x", "items": []}]}
    r = c.post("/api/v1/documents/catalog", json=bad, headers=h)
    assert r.status_code == 422 and "services.0.items" in r.json()["detail"] and "未发布" in r.json()["detail"]
    c.post("/api/v1/documents/catalog", json=shipped_catalog(), headers=h)
    r = c.post("/api/v1/documents/schedule/bus-a", json={"visits": [visit(services=["Z"])]}, headers=h)
    assert r.status_code == 422 and "Z" in r.json()["detail"]
    private = {"items": [{"id": "ap1", "code": "123456", "slot_start": 2e9, "slot_end": 2e9 + 900, "service": "A",
                          "name_masked": "张*", "needs": "电话 13912345678"}]}
    r = c.post("/api/v1/documents/appointments/bus-a", json=private, headers=h)
    assert r.status_code == 422 and "phone" in r.json()["detail"]
    r = c.post("/api/v1/documents/schedule/Bad_Bus", json={"visits": [visit()]}, headers=h)
    assert r.status_code == 422
    assert [t for t, *_ in hq.published] == [protocol.FLEET_CATALOG]


def test_schedule_and_appointments_per_bus(hq: Hq) -> None:
    c, csrf = hq.login("duty")  # an operator may publish these
    h = {"X-CSRF-Token": csrf}
    r = c.post("/api/v1/documents/schedule/bus-a", json={"visits": [visit()]}, headers=h)
    assert r.status_code == 201 and r.json()["version"] == 1
    appts = {"items": [{"id": "ap1", "code": "123456", "stop": "nanma", "slot_start": 2e9, "slot_end": 2e9 + 900,
                        "service": "A", "name_masked": "张*", "phone_last4": "5678", "needs": "轮椅 wheelchair"}]}
    assert c.post("/api/v1/documents/appointments/bus-a", json=appts, headers=h).json()["version"] == 1
    assert c.post("/api/v1/documents/schedule/bus-a", json={"visits": []}, headers=h).json()["version"] == 2
    topics = [t for t, *_ in hq.published]
    assert topics == ["ztc/v1/bus/bus-a/schedule", "ztc/v1/bus/bus-a/appointments", "ztc/v1/bus/bus-a/schedule"]
    assert protocol.validate(protocol.Appointments, hq.published[1][1]).items[0].phone_last4 == "5678"


def test_a_document_published_while_the_broker_is_away_goes_out_later(hq: Hq) -> None:
    hq.connected = False
    c, csrf = hq.login()
    r = c.post("/api/v1/documents/catalog", json=shipped_catalog(), headers={"X-CSRF-Token": csrf})
    assert r.status_code == 201 and r.json()["sent"] is False
    a = c.post("/api/v1/buses/bus-a/announce", json={"text_zh": "明天停运", "text_en": "no service tomorrow"},
               headers={"X-CSRF-Token": csrf}).json()
    assert a["sent"] is False and hq.published == []
    hq.connected = True
    assert hq.ctx.documents.flush() == 2
    assert [t for t, *_ in hq.published] == [protocol.FLEET_CATALOG, "ztc/v1/bus/bus-a/cmd"]
    cmd = protocol.validate(protocol.Announce, hq.published[1][1])
    assert cmd.text_zh == "明天停运" and cmd.id == a["id"] and hq.published[1][3] is False  # commands not retained
    assert hq.ctx.documents.flush() == 0  # sent once
    assert c.get("/api/v1/documents").json()[0]["sent"] is True


def rating(level: int, ts: float, crew: str = "王五") -> tuple[str, float, dict]:
    return ("rating", ts, {"ticket_id": f"t{level}{ts}", "number": "A007", "service": "A", "level": level,
                           "reasons": ["wait_long"] if level <= 2 else [], "window": 2, "crew": crew})


def test_alerts_name_device_errors_offline_buses_backlog_and_open_cases(hq: Hq) -> None:
    now = time.time()
    hq.clock.now = now
    hq.store.record_latest("bus-a", "health", {
        "ts": now, "sw": "1", "disk_free_mb": 500,
        "devices": {"ticket_printer": {"state": "error", "detail": "缺纸 / paper out"}, "camera": {"state": "ok"}},
        "outbox": {"pending": 42, "oldest_ts": now - 3 * 3600}}, now)
    hq.position("bus-b", now - 3600)  # silent for an hour
    hq.events("bus-c", [rating(1, now - 10)])
    c, _ = hq.login()
    alerts = c.get("/api/v1/alerts").json()
    kinds = {(a["kind"], a["bus"]) for a in alerts}
    assert kinds == {("device", "bus-a"), ("backlog", "bus-a"), ("offline", "bus-b"), ("rating", "bus-c")}
    device = next(a for a in alerts if a["kind"] == "device")
    assert "ticket_printer" in device["text"] and "缺纸" in device["text"] and device["severity"] == "error"
    assert "42" in next(a["text"] for a in alerts if a["kind"] == "backlog")
    hq.position("bus-b", now)  # heard from again: the alert goes away by itself
    assert ("offline", "bus-b") not in {(a["kind"], a["bus"]) for a in c.get("/api/v1/alerts").json()}


def test_csv_export_and_pdf_report(hq: Hq) -> None:
    now = time.time()
    hq.clock.now = now
    s = min(1.0, since_midnight(now) / 101)  # "100 s ago" is still today (Beijing) just after midnight
    hq.events("bus-a", [("ticket.issued", now - 100 * s, {"ticket_id": "t1", "service": "A", "stop": "nanma"}),
                        ("ticket.served", now - 50 * s, {"ticket_id": "t1", "service": "A", "wait_s": 120,
                                                         "service_s": 300}), rating(1, now - 40 * s)])
    c, _ = hq.login()
    r = c.get("/api/v1/stats.csv")
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.text.lstrip("\ufeff"))))
    assert rows[0][:4] == ["日期 date", "车辆 bus", "分组 group", "键 key"]
    bus_row = next(x for x in rows if x[1] == "bus-a" and x[2] == "bus")
    header = rows[0]
    assert bus_row[header.index("取号 tickets")] == "1"
    assert bus_row[header.index("等候中位数(秒) wait_median_s")] == "120.0"
    assert any(x[2] == "stop" and x[3] == "nanma" for x in rows)
    pdf = c.get("/api/v1/report.pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-") and b"STSong-Light" in pdf.content and len(pdf.content) > 2000
    assert hq.client().get("/api/v1/report.pdf").status_code == 401
