"""Issue 16, headquarters side: one test per numbered item (each failed before the fix), through the
real app (in-process), the real ingest code and, for the quarantine, a real mosquitto and ``ztc hq``."""
from __future__ import annotations

import asyncio
import json
import os
import stat
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from contract import protocol
from hq.ingest import Ingest
from hq.storage import HqStore
from tests.hq.conftest import ADMIN, PASSWORD, Hq, Server, shipped_catalog
from tests.telemetry.conftest import Observer, wait_for
from ztc.mqtt_link import Inbound

READS = ("/api/v1/buses", "/api/v1/events", "/api/v1/events?after_seq=0&limit=1000", "/api/v1/stats",
         "/api/v1/ingest", "/api/v1/cases", "/api/v1/alerts", "/api/v1/quarantine", "/api/public/buses",
         "/gtfs-rt/vehicle-positions", "/gtfs-rt/vehicle-positions?format=json")


def batch(events: list[tuple[str, dict[str, Any]]], epoch: str = "ep-1", start: int = 1,
          ts: float | None = None) -> dict[str, Any]:
    ts = ts if ts is not None else time.time()
    return {"epoch": epoch, "events": [{"seq": start + n, "id": str(uuid.uuid4()), "type": t, "ts": ts, "data": d}
                                       for n, (t, d) in enumerate(events)]}


def inbound(bus: str, suffix: str, payload: dict[str, Any] | bytes) -> Inbound:
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return Inbound("message", f"ztc/v1/bus/{bus}/{suffix}", raw)


def ingest_of(hq: Hq) -> Ingest:
    return Ingest(hq.store, link=None, clock=hq.clock)  # type: ignore[arg-type]  # acks are not published here


def admin_with_catalog(hq: Hq) -> tuple[Any, str]:
    c, csrf = hq.login()
    r = c.post("/api/v1/documents/catalog", json=shipped_catalog(), headers={"X-CSRF-Token": csrf})
    assert r.status_code == 201
    return c, csrf


def all_reads_answer(c: Any) -> None:
    for path in READS:
        r = c.get(path)
        assert r.status_code == 200, (path, r.status_code, r.text[:300])


# --- 1: a burst of wrong log-ins ------------------------------------------------------------------

def test_1_a_burst_of_wrong_logins_from_one_client_is_answered_429_with_retry_after(hq: Hq) -> None:
    c = hq.client("198.51.100.7")
    codes = [c.post("/api/v1/login", json={"name": f"nobody{n}", "password": "wrong one"}) for n in range(15)]
    assert [r.status_code for r in codes[:10]] == [401] * 10
    refused = codes[10]
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert "too many" in refused.json()["detail"] and "频繁" in refused.json()["detail"]
    # another client is not affected, and the limit refills with time
    other = hq.client("198.51.100.8")
    assert other.post("/api/v1/login", json={"name": ADMIN, "password": PASSWORD}).status_code == 200
    hq.clock.now += int(refused.headers["Retry-After"])
    assert c.post("/api/v1/login", json={"name": ADMIN, "password": PASSWORD}).status_code == 200


def test_1_password_checks_run_at_most_two_at_once_and_the_rest_wait_or_get_429() -> None:
    from hq.login_limits import LoginGate, TooMany

    gate = LoginGate(time.time, workers=2, max_waiting=3)
    running, peak = 0, 0

    def check() -> str:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        time.sleep(0.05)
        running -= 1
        return "ok"

    async def burst() -> list[Any]:
        return await asyncio.gather(*(gate.run(check) for _ in range(40)), return_exceptions=True)

    results = asyncio.run(burst())
    assert peak <= 2
    assert results.count("ok") == 5  # 2 running + 3 waiting
    assert all(isinstance(r, TooMany) and r.retry_after >= 1 for r in results if r != "ok")


def test_1_a_huge_anonymous_body_is_refused_413_before_it_is_read_whole(hq: Hq) -> None:
    c = hq.client()
    big = b'{"name": "x", "password": "' + b"a" * 2_000_000 + b'"}'
    r = c.post("/api/v1/login", content=big, headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and "request body" in r.json()["detail"]

    def chunks():  # no Content-Length: counted as it arrives
        yield b'{"name": "x", "password": "'
        for _ in range(100):
            yield b"a" * 10_000
        yield b'"}'

    r = c.post("/api/v1/login", content=chunks(), headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    assert c.post("/api/v1/login", json={"name": ADMIN, "password": PASSWORD}).status_code == 200


# --- 2: a stranger cannot lock someone else out ---------------------------------------------------

def test_2_a_stranger_guessing_a_name_locks_only_themself_with_a_growing_delay(hq: Hq) -> None:
    stranger, owner = hq.client("203.0.113.66"), hq.client("192.0.2.10")
    for _ in range(hq.ctx.settings.login_failures):
        assert stranger.post("/api/v1/login", json={"name": ADMIN, "password": "guess"}).status_code == 401
    locked = stranger.post("/api/v1/login", json={"name": ADMIN, "password": PASSWORD})
    assert locked.status_code == 401 and "locked" in locked.json()["detail"]
    assert owner.post("/api/v1/login", json={"name": ADMIN, "password": PASSWORD}).status_code == 200
    first = hq.ctx.accounts.throttle.locked_for(ADMIN, "203.0.113.66", hq.clock())
    hq.clock.now += first + 1  # the lock ends; the next wrong guess locks for twice as long
    assert stranger.post("/api/v1/login", json={"name": ADMIN, "password": "guess"}).status_code == 401
    second = hq.ctx.accounts.throttle.locked_for(ADMIN, "203.0.113.66", hq.clock())
    assert second == pytest.approx(2 * first, rel=0.01) and second <= hq.ctx.settings.lockout_s


# --- 3: one bad event must not break fleet-wide pages ----------------------------------------------

def test_3_a_rating_with_numeric_reasons_and_deep_data_are_quarantined_and_every_page_still_reads(hq: Hq) -> None:
    ingest = ingest_of(hq)
    deep: dict[str, Any] = {}
    for _ in range(300):
        deep = {"x": deep}
    good = ("rating", {"ticket_id": "t-ok", "number": "A001", "service": "A", "level": 1, "reasons": ["wait_long"]})
    ingest.handle(inbound("bus-a", "events", batch([("rating", {"level": 1, "reasons": 5}), good,
                                                    ("ticket.issued", {"ticket_id": "t2", "extra": deep})])))
    assert ingest._pending_acks[("bus-a", "ep-1")] == 3  # all three are held durably: acked
    stored = hq.store.events(limit=100)
    assert [e["data"].get("ticket_id") for e in stored] == ["t-ok"]
    c, _ = hq.login()
    all_reads_answer(c)
    q = c.get("/api/v1/quarantine").json()
    assert q["held"] == 2 and {i["type"] for i in q["items"]} == {"rating", "ticket.issued"}
    assert any("reasons" in i["reason"] for i in q["items"]) and any("nested" in i["reason"] for i in q["items"])
    assert [case["number"] for case in c.get("/api/v1/cases").json()] == ["A001"]
    # resent (no ack reached the bus): nothing held twice, nothing stored twice
    ingest.handle(inbound("bus-a", "events", batch([("rating", {"level": 1, "reasons": 5}), good])))
    assert c.get("/api/v1/quarantine").json()["held"] == 2


def test_3_rows_stored_before_validation_existed_no_longer_break_cases_alerts_and_events(hq: Hq) -> None:
    """A database from before: the bad rows are in the events table already (written directly)."""
    deep: dict[str, Any] = {}
    for _ in range(300):
        deep = {"x": deep}
    now = hq.clock()
    with hq.store.transaction() as c:
        c.execute("INSERT INTO epochs(bus, epoch, upto, first_seen) VALUES ('old', 'e', 2, ?)", (now,))
        c.execute("INSERT INTO events VALUES ('old','e',1,'r1','rating',?,?,?)",
                  (now, json.dumps({"level": 1, "reasons": 5}), now))
        c.execute("INSERT INTO events VALUES ('old','e',2,'d1','ticket.issued',?,?,?)", (now, json.dumps(deep), now))
    c, _ = hq.login()
    all_reads_answer(c)
    assert c.get("/api/v1/cases").json()[0]["reasons"] == []
    assert c.get("/api/v1/events?bus=old").json()[1]["data"] == {"unreadable": "data nested deeper than 32 levels"}


def test_3_latest_state_with_deep_or_huge_unknown_fields_is_quarantined_and_the_bus_list_reads(hq: Hq) -> None:
    ingest = ingest_of(hq)
    deep: Any = 1
    for _ in range(400):
        deep = {"x": deep}
    health = {"ts": hq.clock(), "sw": "t", "devices": {}, "outbox": {"pending": 0, "oldest_ts": None},
              "disk_free_mb": 1, "extra": deep}
    queue = {"ts": hq.clock(), "stop": None, "waiting": 1, "by_service": {}, "serving": 0, "windows_open": 0,
             "issued_today": 0, "served_today": 0, "accepting": True, "note": "x" * 900_000}
    ingest.handle(inbound("bus-a", "health", health))
    ingest.handle(inbound("bus-a", "queue", queue))
    ingest.handle(inbound("bus-a", "queue", queue | {"note": "ok", "waiting": 3}))
    ingest.flush_latest()
    c, _ = hq.login()
    all_reads_answer(c)
    bus = c.get("/api/v1/buses").json()[0]
    assert bus["queue"]["waiting"] == 3 and bus["health"] is None
    assert {i["topic"].rsplit("/", 1)[1] for i in c.get("/api/v1/quarantine").json()["items"]} == {"health", "queue"}


def test_3_an_event_of_an_unknown_type_and_a_batch_with_string_seq_are_quarantined_raw(hq: Hq) -> None:
    ingest = ingest_of(hq)
    ingest.handle(inbound("bus-a", "events", batch([("mystery.type", {"a": 1})])))
    string_seq = {"epoch": "e", "events": [{"seq": "5", "id": "s5", "type": "rating", "ts": 1, "data": {"level": 5}}]}
    bool_seq = {"epoch": "e", "events": [{"seq": True, "id": "s1", "type": "rating", "ts": 1, "data": {"level": 5}}]}
    ingest.handle(inbound("bus-a", "events", string_seq))
    ingest.handle(inbound("bus-a", "events", bool_seq))
    assert hq.store.events(limit=10) == []
    c, _ = hq.login()
    q = c.get("/api/v1/quarantine").json()
    assert q["held"] == 3 and hq.store.counters()["invalid.events"] == 2
    assert any('"seq": "5"' in i["preview"] for i in q["items"])


def test_3_hostile_events_through_the_real_broker_are_quarantined_and_the_dashboard_reads(
        server: Server, observer: Observer) -> None:
    http, _ = server.login()
    bus = "hostile-bus"
    hostile = batch([("rating", {"level": 2, "reasons": 5}), ("suggestion", {"topics": "x" * 5000}),
                     ("ticket.served", {"wait_s": "long"}), ("track", {"positions": 5}),
                     ("stop.arrived", {"name": ["<b>"]})])
    wait_for(lambda: observer.publish(f"ztc/v1/bus/{bus}/events", json.dumps(hostile))
             or http.get("/api/v1/quarantine").json()["held"] >= 5, 30, "the ingest to quarantine the batch")
    wait_for(lambda: (observer.last(f"ztc/v1/bus/{bus}/ack") or {}).get("upto") == 5, 30, "the ack")
    for path in READS:
        assert http.get(path).status_code == 200, path
    assert http.get(f"/api/v1/events?bus={bus}").json() == []
    page = http.get("/").text
    assert "quarantine" in page


# --- 4: privacy check normalises and looks everywhere -------------------------------------------

@pytest.mark.parametrize("text", ["138 1234 5678", "138-1234-5678", "１３８１２３４５６７８", "+86 138 1234 5678",
                                  "370323 19900101 123X", "3703 2319 9001 0112 34", "一三八一二三四五六七八"])
def test_4_appointments_with_phone_or_id_numbers_in_any_format_or_field_are_not_published(hq: Hq, text: str) -> None:
    c, csrf = admin_with_catalog(hq)
    item = {"id": "ap-1", "code": "123456", "slot_start": 1e9, "slot_end": 1e9 + 600, "service": "A",
            "name_masked": "张*", "phone_last4": "5678", "needs": text}
    r = c.post("/api/v1/documents/appointments/bus-a", json={"items": [item]}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 422 and "phone" in r.json()["detail"], r.text
    assert not [t for t, *_ in hq.published if t.endswith("/appointments")]
    with pytest.raises(protocol.ProtocolError):  # and the bus refuses it with the same check
        protocol.validate(protocol.Appointments, {"version": 1, "items": [item]})


def test_4_the_check_looks_at_every_string_field_and_lets_dates_and_codes_through(hq: Hq) -> None:
    c, csrf = admin_with_catalog(hq)
    visit = {"stop": "nanma", "name": "南麻 联系 138 1234 5678", "lat": 36.19, "lon": 118.18, "radius_m": 80,
             "arrive": 1e9, "depart": 1e9 + 3600, "services": ["A"]}
    r = c.post("/api/v1/documents/schedule/bus-a", json={"visits": [visit]}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 422 and "visits[0].name" in r.json()["detail"]
    ok = {"id": "ap-2", "code": "123456", "slot_start": 1e9, "slot_end": 1e9 + 600, "service": "A",
          "name_masked": "李*", "phone_last4": "1234", "needs": "轮椅 2026-05-12 09:30 到 3 份材料"}
    r = c.post("/api/v1/documents/appointments/bus-a", json={"items": [ok]}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 201, r.text
    r = c.post("/api/v1/buses/bus-a/announce", json={"text_zh": "咨询电话 0533-321 2345"},
               headers={"X-CSRF-Token": csrf})
    assert r.status_code == 422


# --- 5: too large for the bus is not "sent" --------------------------------------------------------

def test_5_an_appointments_document_over_the_bus_limit_is_refused_413_not_sent(hq: Hq) -> None:
    c, csrf = admin_with_catalog(hq)
    items = [{"id": f"ap-{n}", "code": f"{n:06d}", "slot_start": 1e9 + n, "slot_end": 1e9 + n + 600, "service": "A",
              "name_masked": "张*", "phone_last4": "1234", "needs": "需要帮办代办，行动不便，请携带材料清单" * 4}
             for n in range(5000)]
    assert len(protocol.encode({"version": 1, "items": items})) > protocol.MAX_PAYLOAD_BYTES
    r = c.post("/api/v1/documents/appointments/bus-a", json={"items": items}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 413 and str(protocol.MAX_PAYLOAD_BYTES) in r.json()["detail"], r.text[:300]
    assert not [t for t, *_ in hq.published if t.endswith("/appointments")]
    assert hq.ctx.documents.current("appointments", "bus-a") is None


# --- 7: report markup ---------------------------------------------------------------------------------

MARKUP = '<b>bold</b> <img src="x"/> <a href="javascript:alert(1)">click</a>'


def test_7_markup_in_a_stop_name_or_resolution_renders_as_text_in_the_pdf(hq: Hq) -> None:
    import io

    from pypdf import PdfReader

    now = hq.clock()
    day = time.strftime("%Y-%m-%d", time.gmtime(now + 8 * 3600))  # the county's day (Asia/Shanghai, no DST)
    hq.events("bus-a", [("stop.arrived", now, {"visit_id": "v1", "stop": "s1", "name": f"南麻{MARKUP}", "late_s": 600}),
                        ("ticket.issued", now, {"ticket_id": "t1", "number": "A001", "service": "A", "stop": "s1"}),
                        ("rating", now, {"ticket_id": "t1", "number": "A001", "service": "A", "level": 1,
                                         "reasons": ["attitude"]})])
    c, csrf = hq.login()  # the admin takes the case; its action text (the resolution) is the markup
    case = c.get("/api/v1/cases").json()[0]
    h = {"X-CSRF-Token": csrf}
    assert c.post(f"/api/v1/cases/{case['id']}/assign", json={"handler": "chief"}, headers=h).status_code == 200
    verify = {"step": "verify", "note": "属实", "reason_class": "fix_now"}
    assert c.post(f"/api/v1/cases/{case['id']}/steps", json=verify, headers=h).status_code == 200
    assert c.post(f"/api/v1/cases/{case['id']}/steps", json={"step": "action", "note": MARKUP},
                  headers=h).status_code == 200
    r = c.get(f"/api/v1/report.pdf?date={day}")
    assert r.status_code == 200, r.text[:300]
    reader = PdfReader(io.BytesIO(r.content))
    text = "".join(p.extract_text() for p in reader.pages).replace("\n", " ")
    assert "<b>bold</b>" in text and '<img src="x"/>' in text and "javascript:alert(1)" in text
    assert all(p.get("/Annots") is None for p in reader.pages)  # no link was made


# --- 9: numbers from outside have bounds --------------------------------------------------------------

@pytest.mark.parametrize("path", ["/api/v1/events?after_seq=9223372036854775808",
                                  "/api/v1/events?after_seq=9223372036854775807",
                                  "/api/v1/stats?date=9999-12-31", "/api/v1/buses/bus-a/track?date=9999-12-31",
                                  "/api/v1/stats?date=0001-01-01", "/api/v1/stats.csv?date=9999-12-31",
                                  "/api/v1/report.pdf?date=9999-12-31"])
def test_9_huge_seq_and_far_dates_are_4xx_not_500(hq: Hq, path: str) -> None:
    c, _ = hq.login()
    r = c.get(path)
    assert 400 <= r.status_code < 500, (r.status_code, r.text[:200])


@pytest.mark.parametrize("deadline", ["1e999", "NaN", "-1", "1e300"])
def test_9_a_case_deadline_of_infinity_or_nan_is_refused(hq: Hq, deadline: str) -> None:
    now = hq.clock()
    hq.events("bus-a", [("rating", now, {"ticket_id": "t1", "number": "A001", "level": 1, "reasons": ["other"]})])
    c, csrf = hq.login()
    case = c.get("/api/v1/cases").json()[0]
    # Deadlines are computed in working days (hq.cases) and no route sets one; a body carrying one is refused.
    r = c.post(f"/api/v1/cases/{case['id']}/steps", content=f'{{"deadline": {deadline}}}',
               headers={"X-CSRF-Token": csrf, "Content-Type": "application/json"})
    assert r.status_code == 422, r.text
    assert c.get("/api/v1/cases").json()[0]["deadline"] == case["deadline"]


def test_9_sequence_numbers_must_be_integers_not_strings_or_booleans() -> None:
    for seq in ("5", True, 5.0, 2**63):
        with pytest.raises(protocol.ProtocolError):
            protocol.validate(protocol.EventBatch, {"epoch": "e", "events": [
                {"seq": seq, "id": "x", "type": "rating", "ts": 1, "data": {"level": 5}}]})


def test_10_the_epochs_of_a_bus_are_bounded(hq: Hq) -> None:
    from hq.limits import MAX_EPOCHS_PER_BUS

    ingest = ingest_of(hq)
    for n in range(MAX_EPOCHS_PER_BUS + 20):
        ingest.handle(inbound("flappy", "events", batch([("rating", {"level": 5})], epoch=f"ep-{n}")))
    rows = hq.store.query("SELECT COUNT(*) FROM epochs WHERE bus = 'flappy'")
    assert rows[0][0] == MAX_EPOCHS_PER_BUS
    assert hq.store.counters()["invalid.events"] == 20
    ingest.handle(inbound("flappy", "events", batch([("rating", {"level": 4})], epoch="ep-0", start=2)))
    assert len(hq.store.events(bus="flappy", epoch="ep-0")) == 2  # a known epoch goes on


# --- 10: the smaller things -----------------------------------------------------------------------

def test_10_another_bus_cannot_cancel_a_ticket_on_the_public_page(hq: Hq) -> None:
    now = hq.clock()
    hq.events("bus-a", [("ticket.issued", now - 60, {"ticket_id": "tk-9", "number": "A009", "service": "A"})])
    hq.clock.now += 1
    hq.events("bus-evil", [("ticket.cancelled", now - 30, {"ticket_id": "tk-9", "number": "A009"})])
    info = hq.client().get("/api/public/tickets/tk-9").json()
    assert info["bus"] == "bus-a" and info["status"] == "waiting"
    assert [h["status"] for h in info["history"]] == ["waiting"]


@pytest.mark.parametrize("path", ["/login", "/public", "/t/abc", "/api/public/buses", "/docs"])
def test_10_pages_carry_a_strict_content_security_policy_and_cannot_be_framed(hq: Hq, path: str) -> None:
    r = hq.client().get(path)
    assert r.status_code == 200
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-eval" not in csp
    assert "'unsafe-inline'" not in csp.split("script-src", 1)[1].split(";")[0]
    assert r.headers["x-frame-options"] == "DENY" and r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"


def test_10_swagger_ui_is_served_from_this_host_not_a_cdn(hq: Hq) -> None:
    c = hq.client()
    page = c.get("/docs").text
    assert "cdn" not in page.lower() and "https://" not in page
    for src in ("/vendor/swagger-ui/swagger-ui-bundle.js", "/vendor/swagger-ui/swagger-ui.css",
                "/static/swagger-init.js"):
        assert src in page
        r = c.get(src)
        assert r.status_code == 200 and len(r.content) > 50, src


def test_10_the_headquarters_database_is_created_private(tmp_path: Path) -> None:
    old = os.umask(0o022)  # the usual umask: without care the file would be world-readable
    try:
        store = HqStore.open(f"sqlite:///{tmp_path / 'new' / 'hq.db'}")
        store.count("x")
        store.close()
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new" / "hq.db").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "new").stat().st_mode) == 0o700
    wal = tmp_path / "new" / "hq.db-wal"
    assert not wal.exists() or stat.S_IMODE(wal.stat().st_mode) == 0o600


def test_10_the_quarantine_is_bounded_per_topic_per_bus_and_in_all(hq: Hq, monkeypatch: pytest.MonkeyPatch) -> None:
    from hq import quarantine

    monkeypatch.setattr(quarantine, "MAX_PER_TOPIC", 5)
    monkeypatch.setattr(quarantine, "MAX_PER_BUS", 8)
    monkeypatch.setattr(quarantine, "MAX_ROWS", 12)
    ingest = ingest_of(hq)
    for n in range(20):
        hq.clock.now += 1
        ingest.handle(inbound("noisy", "position", f"garbage {n}".encode()))
        ingest.handle(inbound("noisy", "queue", f"garbage {n}".encode()))
    held = {(r["bus"], r["topic"].rsplit("/", 1)[1]): r["n"] for r in hq.store.query(
        "SELECT bus, topic, COUNT(*) AS n FROM quarantine GROUP BY bus, topic")}
    assert sum(held.values()) == 8 and max(held.values()) <= 5
    for n in range(10):
        hq.clock.now += 1
        ingest.handle(inbound(f"bus-{n}", "status", b"bad"))
    total = hq.store.query("SELECT COUNT(*) FROM quarantine")[0][0]
    assert total == 12 and hq.store.counters()["quarantine.held"] == 50
    newest = quarantine.summary(hq.store)["items"][0]
    assert newest["bus"] == "bus-9" and newest["preview"] == "bad"
