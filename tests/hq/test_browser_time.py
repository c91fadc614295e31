"""Beijing's date and time on every page at an instant when UTC's date is another day.

The real ``ztc hq`` (machine zone America/New_York) and a real headless Chromium (zone America/New_York)
both run under libfaketime at 16:30 UTC, which is 00:30 of the next day in Beijing (``hq.timezone``'s
default): the dashboard's day, the bus detail's times, the CSV, the public page's stop times and the
ticket page's history must all be Beijing's. The browser's zone and clock say otherwise on purpose.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.faketime import at_instant_env, real_now
from tests.hq.cdp import Browser
from tests.hq.conftest import ADMIN, PASSWORD, Server, artifacts
from tests.telemetry.conftest import Broker, Observer, Proc, wait_for

BUS = "yiyuan-07"
BASE = f"ztc/v1/bus/{BUS}"
BEIJING = ZoneInfo("Asia/Shanghai")
ELSEWHERE = "America/New_York"


def evening_instant() -> float:
    """16:30 UTC of the machine's (real) day: Beijing is already on the next day."""
    today = datetime.fromtimestamp(real_now(), UTC).date()
    return datetime.combine(today, time(16, 30), UTC).timestamp()


def beijing(ts: float, fmt: str) -> str:
    return datetime.fromtimestamp(ts, BEIJING).strftime(fmt)


def test_pages_show_beijing_day_and_times_when_utc_is_still_the_day_before(
        tmp_path: Path, broker: Broker, observer: Observer, procs: list[Proc], hq_url: str) -> None:
    instant, started = evening_instant(), real_now()

    def now() -> float:  # the instant headquarters and the browser believe it is, flowing on
        return instant + real_now() - started

    faked = at_instant_env(instant)
    server = Server(tmp_path, broker.port, procs, hq_url, env=faked | {"TZ": ELSEWHERE})
    browser = Browser(tmp_path / "chromium", timezone=ELSEWHERE, env=faked)
    try:
        check_pages(server, observer, browser, now)
    finally:
        browser.close()


def check_pages(server: Server, observer: Observer, browser: Browser, now: Callable[[], float]) -> None:
    assert datetime.fromtimestamp(now(), UTC).date() != datetime.fromtimestamp(now(), BEIJING).date()
    # The browser really is in New York at 16:30 UTC: the wrong day, if the page asked it.
    assert browser.evaluate("new Date().toISOString().slice(11, 13)") == "16"
    assert browser.evaluate("new Date().getDate()") == datetime.fromtimestamp(now(), ZoneInfo(ELSEWHERE)).day
    day = beijing(now(), "%Y-%m-%d")

    browser.goto(f"{server.url}/login")
    browser.evaluate(f"document.getElementById('name').value = {json.dumps(ADMIN)};"
                     f"document.getElementById('password').value = {json.dumps(PASSWORD)};"
                     "document.getElementById('submit').click()")
    browser.wait_for("location.pathname === '/' && window.ztc && ztc.ready === true", what="the dashboard")
    assert browser.evaluate("document.getElementById('day').value") == day  # the date picker's default
    assert "Asia/Shanghai" in browser.evaluate("document.getElementById('zone').textContent")

    http, csrf = server.login()
    status = json.dumps({"online": True, "ts": now(), "sw": "t", "boot": "b"})
    wait_for(lambda: observer.publish(f"{BASE}/status", status)
             or any(b["id"] == BUS for b in http.get("/api/v1/buses").json()), 30, "the ingest")
    observer.publish(f"{BASE}/position", json.dumps({"ts": now(), "lat": 36.1849, "lon": 118.1706, "speed": 0.0,
                                                     "track": 0, "mode": 3, "stop": "nanma-xincun"}))
    arrived = now() - 120
    events = [("stop.arrived", arrived, {"visit_id": "v1", "stop": "nanma-xincun", "name": "南麻街道新村社区",
                                         "late_s": 60}),
              ("ticket.issued", arrived + 30, {"ticket_id": "tk-night", "number": "A001", "service": "A",
                                               "stop": "nanma-xincun"}),
              ("ticket.called", arrived + 90, {"ticket_id": "tk-night", "number": "A001", "window": 2})]
    observer.publish(f"{BASE}/events", json.dumps({"epoch": "night", "events": [
        {"seq": n + 1, "id": f"night-{n}", "type": t, "ts": ts, "data": d} for n, (t, ts, d) in enumerate(events)]}))
    wait_for(lambda: http.get("/api/public/tickets/tk-night").status_code == 200, 30, "the events at headquarters")

    # The bus detail: the day's figures (Beijing's day) and the arrival at Beijing's clock time.
    wait_for(lambda: browser.evaluate(f"!!(window.ztc && ztc.markers[{json.dumps(BUS)}])"), 30, "the bus marker")
    browser.evaluate("loadStats()")
    browser.evaluate(f"void ztc.markers[{json.dumps(BUS)}].fire('click')")
    browser.wait_for("document.getElementById('bus-detail').textContent.includes('取号 tickets 1')",
                     what="the Beijing day's figures")
    detail = browser.evaluate("document.getElementById('bus-detail').textContent")
    assert beijing(arrived, "%H:%M:%S") in detail and "在线 / online" in detail
    browser.screenshot(artifacts() / "dashboard-beijing-night.png")

    # The CSV of "today" (no date given) is Beijing's day, with the night's ticket in it.
    csv = http.get("/api/v1/stats.csv").text
    assert f"{day},{BUS},bus,*,1," in csv

    # The public page: a stop later tonight, in Beijing's month/day and time.
    arrive = now() + 3600
    visit = {"stop": "lishan-park", "name": "历山街道工业园", "lat": 36.2075, "lon": 118.1538, "radius_m": 80,
             "arrive": arrive, "depart": arrive + 7200, "services": ["A"]}
    r = http.post(f"/api/v1/documents/schedule/{BUS}", json={"visits": [visit]}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 201, r.text
    browser.goto(f"{server.url}/public")
    browser.wait_for("window.ztcPublicReady === true", what="the public page")
    when = datetime.fromtimestamp(arrive, BEIJING)
    expected = f"{when.month}/{when.day} {when:%H:%M}–{beijing(arrive + 7200, '%H:%M')}"
    assert expected in browser.evaluate("document.body.innerText")

    # The ticket's page: its history at Beijing's clock.
    browser.goto(f"{server.url}/t/tk-night")
    browser.wait_for("document.getElementById('number') && document.getElementById('number').textContent === 'A001'",
                     what="the ticket page")
    text = browser.evaluate("document.body.innerText")
    assert beijing(arrived + 30, "%H:%M") in text and beijing(arrived + 90, "%H:%M") in text
