"""好差评 through real processes: the rating made on the kiosk (Kivy on Xvfb) with a callback number,
drained by the real agent over a real mosquitto into the real ``ztc hq``; the resident's addition
from the phone page (Chromium, phone viewport) with the ticket's own secret; a secret of another
ticket refused; the case's callback deadline skipping a county holiday; and the case worked in the
/cases page in Chromium: take, callback, verify, action with a photo, re-check by a second person.
Screenshots go to test-artifacts/haochaping/."""
from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from tests.hq.cdp import Browser
from tests.hq.conftest import ADMIN, PASSWORD, Server
from tests.support import FakeClock, artifacts_dir, wait_for
from tests.telemetry.conftest import Proc, broker, procs  # noqa: F401 (fixtures)
from ztc.db import outbox
from ztc.workdays import WorkCalendar, load_overrides

BJ = ZoneInfo("Asia/Shanghai")
PHONE = "13912345678"
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(time.time())  # the phone's rating period is counted from the real day of service


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    b = Browser(tmp_path / "chromium")
    yield b
    b.close()


def county_holiday(tmp: Path) -> tuple[Path, str]:
    """Declare the next working day a county holiday, so the callback deadline must skip it."""
    today = datetime.now(BJ).date()
    plain = WorkCalendar()
    day = plain.add_working_days(today, 1)
    path = tmp / "holidays.yaml"
    path.write_text(yaml.safe_dump({"days": [{"date": day.isoformat(), "kind": "holiday", "name_zh": "县庆",
                                              "name_en": "County day"}]}, allow_unicode=True))
    return path, day.isoformat()


def browser_login(b: Browser, url: str, name: str) -> None:
    b.goto(f"{url}/login")
    b.wait_for("!!document.getElementById('submit')", what="the login form")
    b.evaluate(f"document.getElementById('name').value = {json.dumps(name)};"
               f"document.getElementById('password').value = {json.dumps(PASSWORD)};"
               "document.getElementById('submit').click()")
    b.wait_for("location.pathname === '/'", what="the dashboard after log-in")


def test_kiosk_rating_phone_addition_and_the_case_in_the_dashboard(
        tmp_path: Path, kiosk, engine, settings, broker, procs, browser: Browser) -> None:  # noqa: F811
    art = artifacts_dir("haochaping")
    holidays, holiday = county_holiday(tmp_path)
    (tmp_path / "hqside").mkdir()
    server = Server(tmp_path / "hqside", broker.port, procs, hq_extra={"holidays_file": str(holidays)})
    http, csrf = server.login()
    assert http.post("/api/v1/users", json={"name": "duty", "role": "operator", "password": PASSWORD},
                     headers={"X-CSRF-Token": csrf}).status_code in (200, 201)

    # On the bus: two tickets served; the first rated 非常不满意 on the kiosk with a callback number.
    engine.arrive("nanma-xincun")
    engine.open_window(1, "7", ["B"])
    t = engine.issue("B", "B01")
    other = engine.issue("B", "B01")
    for _ in range(2):
        engine.call_next(1)
        engine.complete(1, "B01", "completed")
    k = kiosk("resident")
    k.tap_id("rate_button")
    k.tap_text("B")
    for d in t.number[1:]:
        k.tap(next(b for b in k.screen.ids.keypad.children if b.text == d))
    k.tap_id("number_ok")
    k.settle()
    k.tap_text("非常不满意")
    k.settle()
    k.tap_text("服务态度不好")
    k.tap_id("submit_button")
    k.pump(until=lambda: k.screen.asking_callback)
    for d in PHONE:
        k.tap(next(b for b in k.screen.ids.phone_keypad.children if b.text == d))
    k.tap_id("callback_ok")
    k.pump(until=lambda: "回访" in k.screen.ids.thanks.text)
    k.screenshot("resident-rate-callback-sent")

    # The real agent drains the outbox over mosquitto into ztc hq.
    config = tmp_path / "agent.yaml"
    config.write_text(yaml.safe_dump({
        "bus": {"id": settings.bus.id}, "data_dir": str(settings.data_dir),
        "mqtt": {"host": "127.0.0.1", "port": broker.port, "username": settings.bus.id, "keepalive_s": 5},
        "agent": {"resend_after_s": 3, "reconnect_min_s": 0.2, "reconnect_max_s": 1, "coalesce_s": 0.2,
                  "linger_s": 0.2}}, allow_unicode=True))
    agent = Proc(config, ["agent", "--no-gps"], tmp_path / "agent.log").start()
    procs.append(agent)

    def drained() -> bool:
        with engine.db.read() as conn:
            return not outbox.pending(conn, 0, 10)
    wait_for(drained, 90, f"the outbox to drain: {agent.log()}")
    wait_for(lambda: http.get(f"/api/v1/cases/{t.id}").status_code == 200, 30, "the case at headquarters")
    case = http.get(f"/api/v1/cases/{t.id}").json()
    assert case["status"] == "callback" and case["phone_masked"] == "139****5678"
    assert PHONE not in json.dumps(http.get("/api/v1/events", params={"limit": 1000}).json())
    due = datetime.fromtimestamp(case["callback_due"], BJ).date() - timedelta(days=1)  # due at the end of that day
    assert due > datetime.fromisoformat(holiday).date()  # the county holiday is skipped

    # The resident's phone: another ticket's secret is refused; the own one adds to the rating.
    browser.viewport(390, 844, mobile=True, scale=2)
    browser.goto(f"{server.url}/t/{t.id}/rate#k={other.rate_token}")
    browser.wait_for("window.page && page.ready === true", what="the phone page")
    assert "不符" in browser.evaluate("document.getElementById('refused').textContent")
    browser.goto(f"{server.url}/t/{t.id}#k={t.rate_token}")
    browser.wait_for("!!document.getElementById('rate-link')", what="the rate link on the ticket page")
    browser.evaluate("document.getElementById('rate-link').click()")
    browser.wait_for("window.page && page.ready === true && !document.getElementById('form').hidden",
                     what="the rating form")
    assert browser.evaluate("document.querySelectorAll('.entry[data-role=rating]').length") == 1
    browser.evaluate("document.getElementById('text').value = '工作人员后来耐心解释了，但当时确实态度生硬';"
                     "document.getElementById('submit').click()")
    browser.wait_for("document.querySelectorAll('.entry[data-role=addition]').length === 1", what="the addition")
    assert browser.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    browser.screenshot(art / "phone-addition.png")
    entries = http.get(f"/api/v1/cases/{t.id}").json()["ratings"]
    assert [(e["role"], e["source"], e["level"]) for e in entries] == [("rating", "kiosk", 1),
                                                                       ("addition", "phone", None)]

    # The case in the dashboard: the operator takes it, calls back, verifies and acts; the admin re-checks.
    browser.viewport(1280, 900)
    browser_login(browser, server.url, "duty")
    browser.goto(f"{server.url}/cases")
    browser.wait_for("window.cs && cs.ready === true", what="the cases page")
    row = f"document.querySelector('tr[data-case=\"{t.id}\"]')"
    browser.wait_for(f"!!{row}", what="the case in the list")
    assert browser.evaluate("document.getElementById('f-bad').textContent").endswith("1")
    browser.evaluate(f"{row}.click()")
    browser.wait_for(f"cs.current && cs.current.id === '{t.id}' && !document.getElementById('s-assign').hidden",
                     what="the case detail")
    browser.evaluate("document.getElementById('take').click()")
    browser.wait_for("!document.getElementById('s-phone').hidden", what="the phone button for the handler")
    browser.evaluate("document.getElementById('show-phone').click()")
    browser.wait_for(f"document.getElementById('phone').textContent === '{PHONE}'", what="the number")
    browser.evaluate("document.getElementById('callback-note').value = '已回访，群众反映窗口人员态度生硬';"
                     "document.getElementById('do-callback').click()")
    browser.wait_for("!document.getElementById('s-verify').hidden", what="the verification form")
    browser.evaluate("document.getElementById('verify-class').value = 'fix_now';"
                     "document.getElementById('verify-note').value = '调取记录，情况属实';"
                     "document.getElementById('do-verify').click()")
    browser.wait_for("!document.getElementById('s-action').hidden", what="the action form")
    node = browser.call("DOM.getDocument")["root"]["nodeId"]
    file_input = browser.call("DOM.querySelector", nodeId=node, selector="#evidence-file")["nodeId"]
    photo = tmp_path / "整改会议.png"
    photo.write_bytes(PNG)
    browser.call("DOM.setFileInputFiles", nodeId=file_input, files=[str(photo)])
    browser.evaluate("document.getElementById('upload').click()")
    browser.wait_for("document.querySelectorAll('#evidence li').length === 1", what="the attached photo")
    browser.evaluate("document.getElementById('action-note').value = '已约谈窗口人员，组织服务规范培训';"
                     "document.getElementById('do-action').click()")
    browser.wait_for("document.getElementById('d-title').textContent.includes('待复核')", what="awaiting re-check")
    assert browser.evaluate("document.getElementById('s-recheck').hidden")  # not by the one who acted
    browser.screenshot(art / "cases-recheck-pending.png")
    browser_login(browser, server.url, ADMIN)
    browser.goto(f"{server.url}/cases")
    browser.wait_for("window.cs && cs.ready === true", what="the cases page (admin)")
    browser.evaluate(f"document.querySelector('tr[data-case=\"{t.id}\"]').click()")
    browser.wait_for(f"cs.current && cs.current.id === '{t.id}' && !document.getElementById('s-recheck').hidden",
                     what="the re-check form")
    browser.evaluate("document.getElementById('recheck-note').value = '复核属实，已回告群众';"
                     "document.getElementById('recheck-ok').click()")
    browser.wait_for("document.getElementById('d-title').textContent.includes('已办结')", what="the closed case")
    browser.evaluate("document.getElementById('filter').value = ''; document.getElementById('filter').onchange()")
    browser.wait_for("document.getElementById('f-fix').textContent.endsWith('100.0%')", what="the figures")
    browser.screenshot(art / "cases-closed.png")
    done = http.get(f"/api/v1/cases/{t.id}").json()
    assert [s["step"] for s in done["steps"]] == ["open", "assign", "callback", "verify", "action", "recheck"]
    assert [s["actor"] for s in done["steps"][1:]] == ["duty", "duty", "duty", "duty", ADMIN]
    assert done["resolution"] == "已约谈窗口人员，组织服务规范培训" and len(done["evidence"]) == 1
    assert load_overrides(holidays)  # the county file the deadline used is the one the route calendar reads
