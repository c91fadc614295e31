"""Planning a month through the route-calendar page as staff would (headless Chromium, the real
``ztc hq`` and mosquitto): add a stop by clicking the map, a weekly visit, see the next public holiday
marked with no regular visit on it, add a themed session (专场) on that holiday, publish, see the
schedule reach a subscribed client, and see /public's calendar on a phone.

The month is the one of the next public holiday after tomorrow (Beijing), so the test means the same
whatever day it runs on."""
from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from contract import protocol
from tests.hq.cdp import Browser
from tests.hq.conftest import ADMIN, PASSWORD, Server, artifacts, shipped_catalog
from tests.qr import decode_qr
from tests.telemetry.conftest import Observer, wait_for
from ztc.workdays import calendar

BUS = "yiyuan-09"
TZ = ZoneInfo("Asia/Shanghai")
THEME = "垃圾分类专场"


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    b = Browser(tmp_path / "chromium", width=1400, height=1000, timezone="America/New_York")  # not Beijing
    yield b
    b.close()


def next_holiday(after: date) -> date:
    cal = calendar()
    d = after + timedelta(days=2)
    while cal.day(d).kind != "holiday":
        d += timedelta(days=1)
    return d


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True,
                          timeout=60).stdout


def render_first_page(path: Path, prefix: Path) -> Path:
    subprocess.run(["pdftoppm", "-png", "-r", "150", "-f", "1", "-l", "1", str(path), str(prefix)], check=True,
                   timeout=60)
    return next(prefix.parent.glob(prefix.name + "*.png"))


def pdf_page_size_mm(path: Path) -> tuple[float, float]:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True, timeout=60).stdout
    w, h = (float(x) for x in re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info).groups())  # type: ignore[union-attr]
    return w / 72 * 25.4, h / 72 * 25.4


def js(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def fill(browser: Browser, values: dict[str, str]) -> None:
    browser.evaluate("".join(f"document.getElementById({js(k)}).value = {js(v)};" for k, v in values.items()))


def test_plan_a_month_with_a_holiday_and_a_themed_session(server: Server, observer: Observer,
                                                          browser: Browser) -> None:
    http, csrf = server.login()
    assert http.post("/api/v1/documents/catalog", json=shipped_catalog(),
                     headers={"X-CSRF-Token": csrf}).status_code == 201
    today = datetime.now(TZ).date()
    holiday = next_holiday(today)
    name_zh = calendar().day(holiday).name_zh
    regular = holiday + timedelta(days=7)
    while not calendar().is_working_day(regular):  # the same weekday or later, a working day
        regular += timedelta(days=1)

    browser.goto(f"{server.url}/login")
    fill(browser, {"name": ADMIN, "password": PASSWORD})
    browser.evaluate("document.getElementById('submit').click()")
    browser.wait_for("location.pathname === '/'", what="the log-in")
    browser.goto(f"{server.url}/calendar")
    browser.wait_for("window.cal && cal.ready === true", what="the calendar page")

    fill(browser, {"new-bus": BUS})
    browser.evaluate("document.getElementById('add-bus').click()")
    browser.wait_for(f"cal.bus === {js(BUS)}", what="the bus chosen")

    # A stop: the position by clicking the map.
    fill(browser, {"stop-id": "nanma-xincun", "stop-name-zh": "南麻街道新村社区", "stop-name-en": "Xincun community",
                   "stop-village": "南麻街道", "stop-radius": "120", "stop-liaison": "王联络",
                   "stop-phone": "13912345678"})
    browser.evaluate("void cal.map.fire('click', {latlng: L.latLng(36.1849, 118.1706)})")
    assert browser.evaluate("document.getElementById('stop-lat').value") == "36.184900"
    browser.evaluate("document.getElementById('stop-save').click()")
    browser.wait_for("document.querySelector('#stops-table tr[data-stop=\"nanma-xincun\"]') !== null", what="the stop")
    assert "139****5678" in browser.evaluate("document.getElementById('stops-table').innerText")
    assert "13912345678" not in browser.evaluate("document.getElementById('stops-table').innerText")

    # The weekly template: the regular visit on the holiday's weekday.
    fill(browser, {"tpl-weekday": str(regular.weekday()), "tpl-stop": "nanma-xincun", "tpl-arrive": "09:00",
                   "tpl-depart": "11:30"})
    browser.evaluate("document.querySelector('#tpl-services input[value=A]').checked = true;"
                     "document.getElementById('tpl-add').click()")
    browser.wait_for("document.querySelectorAll('#tpl-list tr').length === 1", what="the template visit")

    # The holiday's month: the holiday marked, no regular visit on it; the regular day has one.
    fill(browser, {"month": holiday.strftime("%Y-%m")})
    browser.evaluate("document.getElementById('month').dispatchEvent(new Event('change'))")
    cell = f"document.querySelector('.cell[data-date=\"{holiday.isoformat()}\"]')"
    browser.wait_for(f"{cell} !== null && {cell}.classList.contains('holiday')", what="the holiday in the grid")
    assert name_zh in browser.evaluate(f"{cell}.innerText")
    assert browser.evaluate(f"{cell}.querySelectorAll('.visit').length") == 0
    if regular.strftime("%Y-%m") == holiday.strftime("%Y-%m"):
        assert "南麻街道新村社区" in browser.evaluate(
            f"document.querySelector('.cell[data-date=\"{regular.isoformat()}\"]').innerText")

    # A themed session (专场) on the holiday: pick the day in the grid, fill the form.
    browser.evaluate(f"{cell}.click()")
    assert browser.evaluate("document.getElementById('ses-day').value") == holiday.isoformat()
    fill(browser, {"ses-kind": "themed", "ses-stop": "nanma-xincun", "ses-arrive": "14:00", "ses-depart": "16:00",
                   "ses-theme": ""})
    browser.evaluate("document.querySelector('#ses-services input[value=A]').checked = true;"
                     "document.getElementById('ses-add').click()")
    browser.wait_for("document.getElementById('ses-msg').textContent.includes('专场需要主题')",
                     what="the refusal of a themed session without a theme")
    fill(browser, {"ses-theme": THEME, "ses-desc": "垃圾分类政策宣讲与咨询，现场办理相关业务"})
    browser.evaluate("document.getElementById('ses-add').click()")
    browser.wait_for(f"{cell}.innerText.includes({js(THEME)})", what="the themed session in the grid")
    browser.screenshot(artifacts() / "calendar-month.png")

    # Publish the weeks around it to the bus.
    start = max(today + timedelta(days=1), holiday - timedelta(days=3))  # safe across a midnight
    fill(browser, {"pub-start": start.isoformat(), "pub-weeks": "2"})
    browser.evaluate("document.getElementById('pub-go').click()")
    browser.wait_for("document.getElementById('pub-msg').textContent.includes('已发布')", what="the publish message")
    got = wait_for(lambda: observer.last(protocol.bus_topic(BUS, protocol.SCHEDULE)), 30, "the schedule at the bus")
    schedule = protocol.validate(protocol.Schedule, got)
    themed = [v for v in schedule.visits if v.theme == THEME]
    assert len(themed) == 1 and datetime.fromtimestamp(themed[0].arrive, TZ) == datetime.combine(
        holiday, datetime.min.time().replace(hour=14), TZ)
    assert not [v for v in schedule.visits if datetime.fromtimestamp(v.arrive, TZ).date() == holiday and not v.theme]
    assert "13912345678" not in json.dumps(got, ensure_ascii=False)

    # The notice for the liaison: A4, Chinese, the session and the holiday, a QR code to /public.
    href = browser.evaluate("document.querySelector('#stops-table tr[data-stop=\"nanma-xincun\"] a.notice').href")
    assert f"from={start.isoformat()}" in href
    pdf = http.get(href.removeprefix(server.url))
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    out = artifacts() / "notice-nanma-xincun.pdf"
    out.write_bytes(pdf.content)
    text = pdf_text(out)
    assert "服务公告" in text and "南麻街道新村社区" in text and THEME in text and name_zh in text
    assert "扫码查看最新安排" in text and "/public?stop=nanma-xincun" in text.replace("\n", "")
    assert "13912345678" not in text
    page = render_first_page(out, artifacts() / "notice-nanma-xincun")
    assert pdf_page_size_mm(out) == pytest.approx((210, 297), abs=1)
    qr = decode_qr(Image.open(page))  # the printed QR, read back (a single OpenCV view missed it once in 80 notices)
    end = start + timedelta(days=27)
    assert qr == f"{server.url}/public?stop=nanma-xincun&from={start.isoformat()}&to={end.isoformat()}"
    browser.goto(qr)  # and it opens the stop's calendar
    browser.wait_for("window.ztcCalendarReady === true", what="the stop's public calendar")
    assert THEME in browser.evaluate("document.getElementById('pcal').innerText")

    # The public calendar on a phone.
    browser.viewport(390, 844, mobile=True, scale=2)
    browser.goto(f"{server.url}/public?from={start.isoformat()}&to={(start + timedelta(days=13)).isoformat()}")
    browser.wait_for("window.ztcCalendarReady === true", what="the public calendar")
    text = browser.evaluate("document.getElementById('pcal').innerText")
    assert "南麻街道" in text and "南麻街道新村社区" in text and THEME in text and "专场服务" in text
    assert name_zh in text and "放假" in text
    assert "13912345678" not in text and "王联络" not in text
    browser.evaluate("document.getElementById('pcal').scrollIntoView()")
    browser.screenshot(artifacts() / "public-calendar.png")
