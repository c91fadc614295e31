"""A real headless Chromium (Debian's) against the real ``ztc hq`` and a real mosquitto: log in
through the form, see a bus appear and move on the map as positions are published, publish a
catalog from the page and see it arrive at a subscribed client, and the public page on a phone.
Screenshots go to test-artifacts/hq/."""
from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from contract import protocol
from tests.hq.cdp import Browser
from tests.hq.conftest import ADMIN, BEIJING, PASSWORD, Server, artifacts, shipped_catalog, since_midnight
from tests.telemetry.conftest import Observer, wait_for

BUS = "yiyuan-07"
BASE = f"ztc/v1/bus/{BUS}"
START = (36.1849, 118.1706)


@pytest.fixture
def browser(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Browser]:
    """Chromium in a zone other than Beijing's (the test's parameter; UTC by default): the pages must show
    headquarters' time whatever the browser's zone."""
    b = Browser(tmp_path / "chromium", timezone=getattr(request, "param", "UTC"))
    yield b
    b.close()


def position(lat: float, lon: float, track: float, speed: float = 8.0, stop: str | None = None) -> str:
    return json.dumps({"ts": time.time(), "lat": lat, "lon": lon, "speed": speed, "track": track, "mode": 3,
                       "stop": stop})


def beijing_day(ts: float) -> str:
    return datetime.fromtimestamp(ts, BEIJING).date().isoformat()


def marker(browser: Browser) -> list[float] | None:
    return browser.evaluate(f"(() => {{ const m = window.ztc && ztc.markers[{json.dumps(BUS)}]; "
                            "return m ? [m.getLatLng().lat, m.getLatLng().lng] : null; })()")


@pytest.mark.parametrize("browser", ["America/New_York", "UTC"], indirect=True)
def test_dashboard_login_live_map_and_catalog(server: Server, observer: Observer, browser: Browser) -> None:
    before = time.time()
    browser.goto(f"{server.url}/")
    assert browser.evaluate("location.pathname") == "/login"  # the dashboard needs a log-in
    browser.evaluate(f"document.getElementById('name').value = {json.dumps(ADMIN)};"
                     "document.getElementById('password').value = 'wrong password 1';"
                     "document.getElementById('submit').click()")
    browser.wait_for("document.getElementById('error').textContent.includes('密码错误')", what="the refusal")
    browser.evaluate(f"document.getElementById('password').value = {json.dumps(PASSWORD)};"
                     "document.getElementById('submit').click()")
    browser.wait_for("location.pathname === '/' && window.ztc && ztc.ready === true", what="the dashboard")
    # The date picker starts on Beijing's day (hq.timezone), not the browser's (midnight may pass meanwhile).
    assert browser.evaluate("document.getElementById('day').value") in {beijing_day(before), beijing_day(time.time())}
    assert "Asia/Shanghai" in browser.evaluate("document.getElementById('zone').textContent")
    browser.wait_for("document.getElementById('live-state').textContent.includes('实时')", what="the WebSocket")
    assert browser.evaluate("typeof L !== 'undefined' && !!document.querySelector('.leaflet-container')")

    status = json.dumps({"online": True, "ts": time.time(), "sw": "t", "boot": "b"})
    wait_for(lambda: observer.publish(f"{BASE}/status", status) or browser.evaluate(
        f"!!ztc.buses[{json.dumps(BUS)}]"), 30, "the bus to appear in the page")
    queue = {"ts": time.time(), "stop": None, "waiting": 7, "by_service": {"A": 5, "D": 2}, "serving": 1,
             "windows_open": 2, "issued_today": 12, "served_today": 5, "accepting": True}
    observer.publish(f"{BASE}/queue", json.dumps(queue))
    observer.publish(f"{BASE}/position", position(*START, track=45))
    first = wait_for(lambda: marker(browser), 30, "the bus marker")
    assert first == pytest.approx(list(START), abs=1e-6)  # WGS-84 tiles: drawn as sent
    browser.wait_for(f"(document.querySelector('.bus-marker[data-bus=\"{BUS}\"] .badge') || {{}}).textContent === '7'",
                     what="the waiting badge")
    moved = (36.1942, 118.1887)
    observer.publish(f"{BASE}/position", position(*moved, track=60))
    wait_for(lambda: marker(browser) == pytest.approx(list(moved), abs=1e-6), 30, "the marker to move")
    rotated = browser.evaluate(f"document.querySelector('.bus-marker[data-bus=\"{BUS}\"] .arrow').style.transform")
    assert rotated == "rotate(60deg)"
    # Heading unknown (``"track": null``): a dot, no arrow — not an arrow pointing north.
    unknown = json.loads(position(*moved, track=0, speed=0.0)) | {"track": None}
    observer.publish(f"{BASE}/position", json.dumps(unknown))
    arrow = f"document.querySelector('.bus-marker[data-bus=\"{BUS}\"] .arrow')"
    browser.wait_for(f"{arrow}.classList.contains('no-heading')", what="the marker without heading")
    assert browser.evaluate(f"[{arrow}.style.transform, {arrow}.querySelectorAll('path').length]") == ["", 0]
    now = time.time()
    back = min(60.0, since_midnight(now) / 2)  # "a minute ago", but on the picker's (Beijing) day at any hour
    events = [("stop.arrived", {"visit_id": "v1", "stop": "nanma-xincun", "name": "南麻街道新村社区", "late_s": 420}),
              ("ticket.issued", {"ticket_id": "t1", "number": "A001", "service": "A", "stop": "nanma-xincun"}),
              ("ticket.served", {"ticket_id": "t1", "service": "A", "wait_s": 300, "service_s": 900})]
    observer.publish(f"{BASE}/events", json.dumps({"epoch": "e1", "events": [
        {"seq": n + 1, "id": f"ev-{n}", "type": t, "ts": now - back + n * back / 4, "data": d}
        for n, (t, d) in enumerate(events)]}))
    browser.evaluate(f"void ztc.map.setView([{moved[0]}, {moved[1]}], 14)")
    browser.evaluate(f"void ztc.markers[{json.dumps(BUS)}].fire('click')")
    browser.wait_for("document.getElementById('bus-detail').textContent.includes('等候 waiting 7')",
                     what="the bus detail")
    browser.wait_for("document.getElementById('bus-detail').textContent.includes('7 分 min')"
                     " && document.getElementById('bus-detail').textContent.includes('取号 tickets 1')",
                     what="the day's figures and lateness in the detail")
    browser.wait_for("document.querySelectorAll('#fleet tr').length === 2", what="the fleet list")
    browser.screenshot(artifacts() / "dashboard.png")
    health = {"ts": time.time(), "sw": "t", "disk_free_mb": 900, "outbox": {"pending": 0, "oldest_ts": None},
              "devices": {"ticket_printer": {"state": "error", "detail": "缺纸 / paper out"}}}
    observer.publish(f"{BASE}/health", json.dumps(health))
    browser.wait_for("document.getElementById('alerts').textContent.includes('缺纸')"
                     " && document.getElementById('alert-count').textContent === '1'", what="the device alert")
    browser.evaluate("document.getElementById('replay').click()")
    browser.wait_for("document.querySelector('#replay-ctl input[type=range]') !== null", what="the replay slider")
    # Three positions: the two above and the one without heading.
    assert "3 个位置 positions" in browser.evaluate("document.getElementById('replay-ctl').innerText")
    browser.evaluate("const s = document.querySelector('#replay-ctl input[type=range]'); s.value = '0'; s.oninput()")
    assert browser.evaluate("ztc.map.hasLayer && document.querySelectorAll('path.leaflet-interactive').length >= 2")
    browser.screenshot(artifacts() / "dashboard-replay.png")

    # Publish the catalog from the page: it must arrive at a subscribed MQTT client.
    browser.evaluate("document.querySelector('nav.tabs button[data-tab=publish]').click()")
    browser.evaluate(f"document.getElementById('doc-kind').value = 'catalog';"
                     f"document.getElementById('doc-body').value = {json.dumps(json.dumps(shipped_catalog()))};"
                     "document.getElementById('doc-publish').click()")
    browser.wait_for("document.getElementById('doc-msg').textContent.includes('已发布')", what="the publish message")
    got = wait_for(lambda: observer.last(protocol.FLEET_CATALOG), 30, "the catalog at the subscriber")
    assert protocol.validate(protocol.Catalog, got).version == 1
    browser.screenshot(artifacts() / "dashboard-publish.png")
    # An event that breaks the contract is held, and the quarantine tab shows it with the reason.
    observer.publish(f"{BASE}/events", json.dumps({"epoch": "e1", "events": [
        {"seq": 4, "id": "ev-bad", "type": "rating", "ts": now, "data": {"level": 1, "reasons": 5}}]}))
    browser.evaluate("document.querySelector('nav.tabs button[data-tab=quarantine]').click()")
    browser.wait_for("(ztcQuarantine.load(), document.getElementById('quarantine-count').textContent === '1')"
                     " && document.getElementById('quarantine-items').innerText.includes('reasons')",
                     what="the quarantined event in its panel")
    browser.screenshot(artifacts() / "dashboard-quarantine.png")
    browser.evaluate("document.querySelector('nav.tabs button[data-tab=figures]').click()")
    browser.wait_for("document.querySelectorAll('#chart-hours rect').length > 0", what="the tickets-per-hour chart")
    assert "A" in browser.evaluate("document.getElementById('by-service').innerText")
    browser.screenshot(artifacts() / "dashboard-figures.png")


@pytest.mark.parametrize("browser", ["America/New_York"], indirect=True)
def test_public_page_on_a_phone(server: Server, observer: Observer, browser: Browser) -> None:
    status = json.dumps({"online": True, "ts": time.time(), "sw": "t", "boot": "b"})
    http, _ = server.login()
    wait_for(lambda: observer.publish(f"{BASE}/status", status)
             or any(b["id"] == BUS for b in http.get("/api/v1/buses").json()), 30, "the ingest")
    observer.publish(f"{BASE}/position", position(*START, track=0, speed=0.0, stop="depot"))
    observer.publish(f"{BASE}/queue", json.dumps({"ts": time.time(), "stop": "depot", "waiting": 3, "by_service":
                     {"A": 2, "F": 1}, "serving": 1, "windows_open": 1, "issued_today": 4, "served_today": 1,
                     "accepting": True}))
    wait_for(lambda: (next((b for b in http.get("/api/v1/buses").json() if b["id"] == BUS), {}).get("queue")),
             30, "the queue stored")
    visit = {"stop": "lishan-park", "name": "历山街道工业园", "lat": 36.2075, "lon": 118.1538, "radius_m": 80,
             "arrive": time.time() + 3600, "depart": time.time() + 3 * 3600, "services": ["A", "F"],
             "theme": "消防安全专场"}
    http, csrf = server.login()
    r = http.post(f"/api/v1/documents/schedule/{BUS}", json={"visits": [visit]}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 201, r.text
    browser.viewport(390, 844, mobile=True, scale=2)
    browser.goto(f"{server.url}/public")
    browser.wait_for("window.ztcPublicReady === true", what="the public page")
    text = browser.evaluate("document.body.innerText")
    assert BUS in text and "正在停靠服务" in text and "3" in text
    assert "历山街道工业园" in text and "消防安全专场" in text
    assert browser.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # no sideways scrolling
    browser.screenshot(artifacts() / "public-phone.png")

    # The page behind the QR on the ticket: status once the ticket reached headquarters, no crew name.
    now = time.time()
    observer.publish(f"{BASE}/events", json.dumps({"epoch": "e2", "events": [
        {"seq": 1, "id": "q-1", "type": "ticket.issued", "ts": now - 30,
         "data": {"ticket_id": "tk-qr", "number": "A021", "service": "A", "stop": "depot"}},
        {"seq": 2, "id": "q-2", "type": "ticket.called", "ts": now,
         "data": {"ticket_id": "tk-qr", "number": "A021", "window": 3, "crew": "王五"}}]}))
    wait_for(lambda: http.get("/api/public/tickets/tk-qr").status_code == 200, 30, "the ticket at headquarters")
    browser.goto(f"{server.url}/t/tk-qr")
    browser.wait_for("document.getElementById('number') && document.getElementById('number').textContent === 'A021'",
                     what="the ticket page")
    text = browser.evaluate("document.body.innerText")
    assert "请到窗口" in text and "窗口 / window 3" in text and "王五" not in text
    browser.screenshot(artifacts() / "ticket-phone.png")


def test_api_docs_page_works_under_the_content_security_policy(server: Server, browser: Browser) -> None:
    """/docs is Swagger UI from the fastapi-offline package, started by our own script: it must draw
    the routes with the strict policy in force (no inline script, no eval, nothing from a CDN)."""
    browser.goto(f"{server.url}/docs")
    browser.wait_for("document.querySelectorAll('.opblock').length > 10", what="the API routes drawn by Swagger UI")
    text = browser.evaluate("document.body.innerText")
    assert "/api/v1/events" in text and "ztc headquarters" in text
    assert browser.console == []
    browser.screenshot(artifacts() / "docs.png")
