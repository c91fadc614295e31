"""The hotline desk end to end, as the people would do it: the duty operator books a caller on the
/booking page in headless Chromium (the real ``ztc hq`` on a real mosquitto), gets the code and the
text to read out; a real ``ztc agent`` subscribed for the bus applies the masked appointment and the
home visit; the crew console under Xvfb (on that bus's database) shows it in its 上门服务 list. Then
a refused overlap, the audited phone opening, a change and a cancel reach the bus and the console,
and the day's list prints to PDF.

The day is the next working day from the day after tomorrow (Beijing), so the test means the same
at any hour; the kiosk's clock is set to that day's early afternoon (the console lists *today*)."""
from __future__ import annotations

import base64
import json
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.hq.cdp import Browser
from tests.hq.conftest import ADMIN, PASSWORD, Server, artifacts, shipped_catalog
from tests.support import make_settings
from tests.telemetry import conftest as telemetry_harness
from tests.telemetry.conftest import BUS, Broker, Proc, wait_for, write_config
from ztc.db import open_database
from ztc.domain.crew import CrewAccounts
from ztc.settings import Settings
from ztc.workdays import calendar

broker = telemetry_harness.broker
procs = telemetry_harness.procs
TZ = ZoneInfo("Asia/Shanghai")
CREW, PIN = "7", "2468"
CALLER, PHONE = "李秀英", "13800001111"
ADDRESS = "南麻街道幸福村3组12号"


@pytest.fixture
def settings(tmp_path: Path, virtual_printer: Any) -> Settings:
    """The kiosk on the agent's database (write_config puts the bus data in tmp/bus)."""
    return make_settings(tmp_path / "bus", DEVICES__TICKET_PRINTER__KIND="sim",
                         DEVICES__TICKET_PRINTER__PORT=str(virtual_printer.tcp_port))


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    b = Browser(tmp_path / "chromium", width=1400, height=1000)
    yield b
    b.close()


def js(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def fill(browser: Browser, values: dict[str, str]) -> None:
    browser.evaluate("".join(f"document.getElementById({js(k)}).value = {js(v)};" for k, v in values.items()))


def bus_rows(db_path: Path, sql: str) -> list[tuple]:
    """Read a database another process writes (read-only; empty while its tables are still being made)."""
    if not db_path.exists():
        return []
    try:
        with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as c:
            return c.execute(sql).fetchall()
    except sqlite3.OperationalError as e:
        if "no such table" in str(e):
            return []
        raise


def booking_day() -> Any:
    d = datetime.now(TZ).date() + timedelta(days=2)
    while not calendar().is_working_day(d):
        d += timedelta(days=1)
    return d


def test_book_a_home_visit_through_the_page_and_see_it_on_the_bus(
        tmp_path: Path, broker: Broker, procs: list[Proc], browser: Browser, kiosk, settings: Settings,
        clock) -> None:
    outbox = tmp_path / "outbox"
    server = Server(tmp_path, broker.port, procs, hq_extra={"sms_outbox": str(outbox)})
    http, csrf = server.login()
    h = {"X-CSRF-Token": csrf}
    day = booking_day()
    # What the office set up before (the catalog; the route calendar has its own browser test).
    assert http.post("/api/v1/documents/catalog", json=shipped_catalog(), headers=h).status_code == 201
    assert http.put("/api/v1/stops/nanma-xincun", headers=h, json={
        "name_zh": "南麻街道新村社区", "village": "南麻街道", "lat": 36.1942, "lon": 118.1887}).status_code == 200
    assert http.post(f"/api/v1/route/{BUS}/templates", headers=h, json={
        "weekday": day.weekday(), "stop": "nanma-xincun", "arrive": "09:00", "depart": "11:30",
        "services": ["A", "D"]}).status_code == 201
    assert http.post(f"/api/v1/route/{BUS}/publish", headers=h, json={"weeks": 3}).status_code == 201

    agent = Proc(write_config(tmp_path, broker.port), ["agent", "--no-gps"], tmp_path / "agent.log").start()
    procs.append(agent)
    db_path = settings.db_path
    wait_for(lambda: bus_rows(db_path, "SELECT 1 FROM documents WHERE kind = 'schedule'"),
             60, "the agent to hold the published schedule")

    # --- the operator's task on the page -----------------------------------------------------------------
    browser.goto(f"{server.url}/login")
    fill(browser, {"name": ADMIN, "password": PASSWORD})
    browser.evaluate("document.getElementById('submit').click()")
    browser.wait_for("location.pathname === '/'", what="the log-in")
    assert browser.evaluate("[...document.querySelectorAll('header a')].some(a => a.getAttribute('href') === "
                            "'/booking')")  # the dashboard links the desk
    browser.goto(f"{server.url}/booking?bus={BUS}&date={day.isoformat()}")
    browser.wait_for("window.desk && desk.ready === true", what="the booking desk")
    assert "南麻街道新村社区" in browser.evaluate("document.getElementById('slots').innerText")

    # A caller at the stop visit: pick the 09:30 slot.
    fill(browser, {"b-name": "张三", "b-phone": "139 1234 5678", "b-service": "A"})
    browser.evaluate("document.getElementById('b-service').dispatchEvent(new Event('change'))")
    slot = datetime.combine(day, time(9, 30), TZ).timestamp()
    browser.evaluate(f"document.getElementById('slot-nanma-xincun-{int(slot)}').click()")
    browser.evaluate("document.getElementById('book').click()")
    browser.wait_for("document.getElementById('book-msg').textContent.includes('已预约')", what="the stop booking")

    # The home visit: address, a pin on the map, the need, a note.
    fill(browser, {"b-name": CALLER, "b-phone": PHONE, "b-service": "A"})
    browser.evaluate("document.getElementById('kind-home').click()")
    fill(browser, {"h-start": "14:00", "h-end": "15:00", "h-address": ADDRESS, "h-need": "bedridden",
                   "h-note": "需要轮椅通道，家属在家"})
    browser.evaluate("void desk.map.fire('click', {latlng: L.latLng(36.19, 118.17)})")
    assert browser.evaluate("document.getElementById('h-pin').value") == "36.19, 118.17"
    browser.evaluate("document.getElementById('book').click()")
    browser.wait_for("/^\\d{6}$/.test(document.getElementById('result-code').textContent) && "
                     "document.getElementById('result-text').textContent.includes('上门服务')",
                     what="the home visit's code")
    code = browser.evaluate("document.getElementById('result-code').textContent")
    confirmation = browser.evaluate("document.getElementById('result-text').textContent")
    assert code in confirmation and ADDRESS in confirmation and "李**" in confirmation
    assert "已写入短信发件箱文件" in browser.evaluate("document.getElementById('result-sms').textContent")
    [sms] = [json.loads(p.read_text(encoding="utf-8")) for p in outbox.glob("*.json") if code in p.read_text("utf-8")]
    assert sms["to"] == PHONE and sms["text"] == confirmation

    # A second home visit overlapping it is refused with the reason, on the page.
    fill(browser, {"b-name": "王五", "b-phone": "13700002222", "h-start": "14:30", "h-end": "15:30",
                   "h-address": "南麻街道幸福村5组1号", "h-need": "elderly", "h-note": ""})
    browser.evaluate("void desk.map.fire('click', {latlng: L.latLng(36.191, 118.171)})")
    browser.evaluate("document.getElementById('book').click()")
    browser.wait_for("document.getElementById('book-msg').textContent.includes('另一处上门服务')",
                     what="the refused overlap")

    # The list: phones masked; opening one shows it to this operator and is audited.
    row = f"document.querySelector('#list tr[data-code=\"{code}\"]')"
    browser.wait_for(f"{row} !== null", what="the booking in the day's list")
    listed = browser.evaluate("document.getElementById('list').innerText")
    assert "138****1111" in listed and PHONE not in listed and "卧床" in listed and ADDRESS in listed
    browser.viewport(1400, 1180)
    browser.screenshot(artifacts() / "booking-desk.png")
    browser.evaluate(f"{row}.querySelector('button.phone').click()")
    browser.wait_for(f"{row}.innerText.includes({js(PHONE)})", what="the opened phone")
    hq_db = tmp_path / "hq" / "hq.db"
    opened = wait_for(lambda: bus_rows(hq_db, "SELECT actor, target FROM audit_log WHERE kind = 'booking_phone'"),
                      10, "the audited opening")
    assert opened[0][0] == ADMIN

    # --- the bus: the masked appointment and the home visit ------------------------------------------
    def home_appointment() -> list[tuple]:
        return bus_rows(db_path, "SELECT code, stop, name_masked, phone_last4, needs, slot_start FROM appointments "
                                 f"WHERE code = '{code}'")
    [(_, stop, masked, last4, needs, start)] = wait_for(home_appointment, 60, f"the appointment on the bus: "
                                                                              f"{agent.log()}")
    assert stop.startswith("home-") and masked == "李**" and last4 == "1111" and needs.startswith("卧床")
    assert start == datetime.combine(day, time(14, 0), TZ).timestamp()
    everything = json.dumps([bus_rows(db_path, f"SELECT * FROM {t}") for t in ("documents", "appointments")],
                            ensure_ascii=False)
    assert PHONE not in everything and CALLER not in everything and "13912345678" not in everything

    # --- the crew console's 上门服务 list ---------------------------------------------------------------
    CrewAccounts(open_database(db_path)).set_pin(CREW, PIN)
    clock.t = datetime.combine(day, time(13, 20), TZ).timestamp()
    from tests.kiosk.test_crew import open_console
    k = kiosk("crew")
    open_console(k, "市场主体登记")
    k.tap_text("到站")
    k.pump(until=lambda: "上门服务（今日 1 个）" in [b.text for b in k.buttons()], timeout=30)
    k.tap_text("上门服务")
    k.pump(until=lambda: ADDRESS in k.texts())
    texts = k.texts()
    assert f"预约码 {code}" in texts and "14:00–15:00" in texts and "卧床：需要轮椅通道" in texts
    assert "李** 尾号 1111" in texts and CALLER not in texts
    shot = k.screenshot("crew-home-visits-from-hq")

    # --- the day's list, printed ---------------------------------------------------------------------
    browser.goto(f"{server.url}/booking/day?bus={BUS}&date={day.isoformat()}")
    browser.wait_for("document.body.dataset.ready === '1'", what="the day's list")
    browser.screenshot(artifacts() / "booking-day.png")
    pdf = tmp_path / "day.pdf"
    pdf.write_bytes(base64.b64decode(browser.call("Page.printToPDF", landscape=True, printBackground=True)["data"]))
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True,
                          timeout=60).stdout
    assert "当日预约清单" in text and "南麻街道新村社区" in text and "张*" in text and "139****5678" in text
    flat = "".join(text.split())  # a long address wraps inside its table cell
    assert ADDRESS in flat and "李**" in flat and code in flat and "卧床" in flat
    assert "13912345678" not in text and PHONE not in text and CALLER not in text
    browser.goto(f"{server.url}/booking?bus={BUS}&date={day.isoformat()}")
    browser.wait_for(f"window.desk && desk.ready === true && {row} !== null", what="the booking desk again")

    # --- change and cancel on the page reach the bus and the console ----------------------------------
    browser.evaluate(f"{row}.querySelector('button.edit').click()")
    assert browser.evaluate("document.getElementById('h-address').value") == ADDRESS
    fill(browser, {"h-start": "15:30", "h-end": "16:30"})
    browser.evaluate("document.getElementById('book').click()")
    browser.wait_for("document.getElementById('book-msg').textContent.includes('已修改')", what="the change")
    later = datetime.combine(day, time(15, 30), TZ).timestamp()
    wait_for(lambda: home_appointment() and home_appointment()[0][5] == later, 60, "the changed slot on the bus")
    k.tap_text("到站")
    k.tap_text("上门服务")
    k.pump(until=lambda: "15:30–16:30" in k.texts(), timeout=30)

    browser.evaluate("window.prompt = () => '家属来电取消';"  # the operator types the reason in the dialog
                     f"{row}.querySelector('button.cancel').click()")
    browser.wait_for("document.getElementById('book-msg').textContent.includes('已取消')", what="the cancel")
    wait_for(lambda: not home_appointment(), 60, "the cancelled appointment gone from the bus")
    wait_for(lambda: not bus_rows(db_path, "SELECT 1 FROM documents WHERE kind = 'schedule' AND body LIKE '%幸福村%'"),
             60, "the home visit gone from the bus's schedule")
    k.tap_text("到站")
    k.tap_text("上门服务")
    k.pump(until=lambda: "今天没有上门服务" in k.texts(), timeout=30)
    kinds = [r[0] for r in bus_rows(hq_db, "SELECT kind FROM audit_log ORDER BY id")]
    assert kinds.count("booking") == 4 and kinds.count("booking_phone") == 1  # 2 created, 1 changed, 1 cancelled

    shutil.copy(shot, artifacts() / "crew-home-visits-from-hq.png")
