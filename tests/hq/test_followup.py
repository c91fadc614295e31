"""Issue 14 §3–§5 through real processes (mosquitto, ``ztc hq``, Debian's headless Chromium, the
``ztc hq report`` command, poppler): a 受理 case marked 办结 with an EMS number on the ticket's page,
refused requests from a real bus engine in the demand table, and a monthly report whose PDF and CSV
figures equal those computed here from the test's own events. Screenshots go to test-artifacts/hq/."""
from __future__ import annotations

import contextlib
import csv
import io
import json
import re
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.hq.cdp import Browser
from tests.hq.conftest import ADMIN, PASSWORD, REPO, Server, artifacts, shipped_catalog
from tests.support import FakeClock, make_settings
from tests.telemetry.conftest import Observer, wait_for
from ztc.db import open_database, outbox
from ztc.domain.engine import QueueEngine, QueueError

BUS = "yiyuan-07"
BASE = f"ztc/v1/bus/{BUS}"
TZ = ZoneInfo("Asia/Shanghai")
EVIL = '<b>南麻</b><img src=x><a href="javascript:alert(1)">x</a>'


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    b = Browser(tmp_path / "chromium")
    yield b
    b.close()


def send(observer: Observer, items: list[tuple[str, float, dict]], epoch: str, first_seq: int = 1) -> None:
    events = [{"seq": first_seq + n, "id": str(uuid.uuid4()), "type": t, "ts": ts, "data": d}
              for n, (t, ts, d) in enumerate(items)]
    observer.publish(f"{BASE}/events", json.dumps({"epoch": epoch, "from": first_seq, "events": events}))


def stored(http: httpx.Client, n: int) -> bool:
    return len(http.get("/api/v1/events", params={"bus": BUS, "limit": 1000}).json()) >= n


def log_in(browser: Browser, server: Server) -> None:
    browser.goto(f"{server.url}/login")
    browser.evaluate(f"document.getElementById('name').value = {json.dumps(ADMIN)};"
                     f"document.getElementById('password').value = {json.dumps(PASSWORD)};"
                     "document.getElementById('submit').click()")
    browser.wait_for("location.pathname === '/'", what="the log-in")


def test_accepted_case_completed_with_ems_shows_on_the_ticket_page(server: Server, observer: Observer,
                                                                   browser: Browser) -> None:
    now = time.time()
    today = datetime.fromtimestamp(now, TZ).date()
    promised = (today + timedelta(days=10)).isoformat()
    case = {"case_no": "SD-3703-2026-0042", "department": "县人社局", "promised_date": promised}
    late = {"case_no": "SD-3703-2026-0007", "department": "县民政局",
            "promised_date": (today - timedelta(days=3)).isoformat()}
    send(observer, [
        ("ticket.issued", now - 600, {"ticket_id": "t-ok", "number": "A001", "service": "A", "stop": "nanma-xincun"}),
        ("ticket.served", now - 60, {"ticket_id": "t-ok", "number": "A001", "service": "A", "item": "A01",
                                     "outcome": "accepted", "wait_s": 300, "service_s": 240, **case}),
        ("ticket.issued", now - 20 * 86400, {"ticket_id": "t-late", "number": "A002", "service": "A"}),
        ("ticket.served", now - 20 * 86400 + 600, {"ticket_id": "t-late", "number": "A002", "service": "A",
                                                   "item": "A01", "outcome": "accepted", **late}),
    ], "e1")
    http, csrf = server.login()
    wait_for(lambda: stored(http, 4), 30, "the events at headquarters")
    cases = {c["case_no"]: c for c in http.get("/api/v1/accepted").json()}
    assert cases["SD-3703-2026-0042"]["overdue"] is False and cases["SD-3703-2026-0007"]["overdue"] is True
    alerts = [a for a in http.get("/api/v1/alerts").json() if a["kind"] == "accepted"]
    assert [a["case"] for a in alerts] == [cases["SD-3703-2026-0007"]["id"]]
    # EMS before 办结 is refused with a reason, and nothing changes.
    r = http.post(f"/api/v1/accepted/{cases['SD-3703-2026-0042']['id']}", json={"ems_no": "EA123456789CN"},
                  headers={"X-CSRF-Token": csrf})
    assert r.status_code == 422 and "办结" in r.json()["detail"]

    log_in(browser, server)
    browser.goto(f"{server.url}/accepted")
    browser.wait_for("typeof page !== 'undefined' && page.ready === true && "
                     "document.querySelectorAll('.done-btn').length === 2",
                     what="the accepted cases page")
    cid = cases["SD-3703-2026-0042"]["id"]
    row = f"document.querySelector('tr[data-case={json.dumps(cid)}]')"
    assert "overdue" in browser.evaluate(f"document.querySelector('tr[data-case={json.dumps(alerts[0]['case'])}]')"
                                         ".className")
    browser.evaluate(f"{row}.querySelector('.done-btn').click()")
    browser.wait_for(f"{row} && {row}.querySelector('.status').textContent.includes('已办结')", what="办结")
    browser.evaluate(f"{row}.querySelector('input.ems').value = 'ea123456789cn';"
                     f"{row}.querySelector('.ems-btn').click()")
    browser.wait_for(f"{row} && {row}.querySelector('.ems-no').textContent === 'EA123456789CN'", what="the EMS number")
    browser.screenshot(artifacts() / "accepted-cases.png")
    assert [a for a in http.get("/api/v1/alerts").json() if a["kind"] == "accepted"] == alerts  # only the late one

    phone = Browser(browser.profile.parent / "phone", width=390, height=844)
    try:
        phone.viewport(390, 844, mobile=True, scale=2)
        phone.goto(f"{server.url}/t/t-ok")
        phone.wait_for("(document.getElementById('case-ems') || {}).textContent === "
                       "'EMS 邮寄单号 / EMS number: EA123456789CN'", what="the EMS number on the ticket's page")
        text = phone.evaluate("document.getElementById('case').textContent")
        assert "已办结" in text and "SD-3703-2026-0042" in text and "县人社局" in text and promised in text
        assert "chief" not in phone.evaluate("document.body.textContent")  # no staff name on the public page
        # The phone's free-text suggestion reaches the demand page.
        phone.evaluate("document.getElementById('suggest-text').value = '希望每周多来一次 <script>x</script>';"
                       "document.getElementById('suggest-send').click()")
        phone.wait_for("document.getElementById('suggest-msg').textContent.includes('已收到')",
                       what="the suggestion sent")
        phone.screenshot(artifacts() / "ticket-accepted-phone.png")
    finally:
        phone.close()
    phone_texts = http.get("/api/v1/demand").json()["phone"]
    assert [p["text"] for p in phone_texts] == ["希望每周多来一次 <script>x</script>"]
    assert httpx.get(f"{server.url}/api/public/tickets/nope/case").status_code == 404

    # The public results page (no log-in): this month's row counts the two served residents.
    public = Browser(browser.profile.parent / "public")
    try:
        public.goto(f"{server.url}/results")
        row = f"document.querySelector('tr[data-month=\"{today:%Y-%m}\"]')"
        public.wait_for(f"typeof page !== 'undefined' && page.ready === true && !!{row}", what="the results page")
        cells = public.evaluate(f"[...{row}.children].map(td => td.textContent)")
        served_this_month = 1 + (datetime.fromtimestamp(now - 20 * 86400, TZ).date().month == today.month)
        assert cells[2] == str(served_this_month) and cells[4] == str(served_this_month)  # served, 受理
        assert public.evaluate("document.querySelectorAll('#results tbody tr').length") == 12
        public.screenshot(artifacts() / "results.png")
    finally:
        public.close()


def refused_events_of_a_real_engine(tmp: Path) -> list[dict]:
    """A bus engine refusing a service not offered at its stop, past the daily cap and after the cut-off."""
    settings = make_settings(tmp, QUEUE__DAILY_CAPS="{B: 1}")
    clock = FakeClock()
    db = open_database(settings.db_path)
    engine = QueueEngine(db, settings, clock)
    engine.arrive("nanma-xincun", "gps")
    for prefix in ("C", "C", "B", "B"):
        with contextlib.suppress(QueueError):
            engine.issue(prefix)
    clock.advance(2 * 3600 + 10 * 60)
    with pytest.raises(QueueError):
        engine.issue("A")
    engine.suggest(["weekend", "more_stops"])
    with engine.db.read() as conn:
        evs = outbox.pending(conn, 0, 1000)
    db.close()
    return [{"seq": e.seq, "id": e.id, "type": e.type, "ts": time.time(), "data": e.data} for e in evs]


def test_refused_requests_appear_in_the_demand_table(server: Server, observer: Observer, browser: Browser,
                                                     tmp_path: Path) -> None:
    events = refused_events_of_a_real_engine(tmp_path / "bus")
    observer.publish(f"{BASE}/events", json.dumps({"epoch": "bus1", "from": 1, "events": events}))
    http, _ = server.login()
    wait_for(lambda: stored(http, len(events)), 30, "the bus's events at headquarters")
    d = http.get("/api/v1/demand").json()
    table = {(r["stop"], r["service"]): r["by_reason"] for r in d["refused"]}
    assert table == {("nanma-xincun", "C"): {"not_offered": 2}, ("nanma-xincun", "B"): {"cap_reached": 1},
                     ("nanma-xincun", "A"): {"cutoff": 1}}
    assert d["suggestions"]["kiosk"] == 1
    assert {t["topic"] for t in d["suggestions"]["topics"]} == {"weekend", "more_stops"}

    log_in(browser, server)
    browser.goto(f"{server.url}/demand")
    browser.wait_for("typeof page !== 'undefined' && page.ready === true", what="the demand page")
    rows = browser.evaluate("[...document.querySelectorAll('#demand tbody tr')].map(tr => "
                            "[...tr.children].map(td => td.textContent))")
    assert [r[1:3] for r in rows] == [["C", "2"], ["A", "1"], ["B", "1"]] or \
        sorted(r[1:3] for r in rows) == [["A", "1"], ["B", "1"], ["C", "2"]]
    assert any("本站不办理 2" in r[3] for r in rows) and any("今日号已发完 1" in r[3] for r in rows)
    assert "周末和节假日服务" in browser.evaluate("document.getElementById('topics').textContent")
    browser.screenshot(artifacts() / "demand.png")


def previous_month_day(now: float) -> date:
    first = datetime.fromtimestamp(now, TZ).date().replace(day=1)
    return (first - timedelta(days=1)).replace(day=10)


def at(day: date, hh: int, mm: int = 0) -> float:
    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=TZ).timestamp()


def pdf_text(pdf: bytes, tmp: Path) -> str:
    path = tmp / "report.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_monthly_report_figures_equal_the_events(server: Server, observer: Observer, tmp_path: Path) -> None:
    day = previous_month_day(time.time())
    outcomes = ["completed", "completed", "accepted", "consulted", "assisted", "completed"]
    waits = [120.0, 300.0, 600.0, 90.0, 450.0, 240.0]
    levels = [5, 4, 5, 2, 3]
    items: list[tuple[str, float, dict]] = [
        ("stop.arrived", at(day, 9), {"visit_id": "v1", "stop": "nanma-xincun", "name": EVIL, "late_s": 420}),
        ("stop.arrived", at(day + timedelta(days=1), 9), {"visit_id": "v2", "stop": "lishan-park", "name": "历山公园",
                                                          "late_s": 60}),
        ("stop.arrived", at(day + timedelta(days=2), 15), {"visit_id": "v3", "stop": "home-b1", "name": "上门"}),
    ]
    for n, (outcome, wait) in enumerate(zip(outcomes, waits, strict=True)):
        tid = f"m{n}"
        items.append(("ticket.issued", at(day, 10, n), {"ticket_id": tid, "number": f"A{n:03d}", "service": "A",
                                                       "stop": "nanma-xincun", "visit_id": "v1"}))
        served = {"ticket_id": tid, "number": f"A{n:03d}", "service": "A", "item": "A01", "outcome": outcome,
                  "wait_s": wait, "service_s": 200 + n, "pages_scanned": n, "pages_printed": 2 * n,
                  "ems_no": "EA000000001CN" if n == 1 else None, "visit_id": "v1"}
        if outcome == "accepted":
            served |= {"case_no": "SD0001", "department": "县人社局",
                       "promised_date": (day + timedelta(days=5)).isoformat()}
        items.append(("ticket.served", at(day, 11, n), served))
    for n, level in enumerate(levels):
        items.append(("rating", at(day, 12, n), {"ticket_id": f"m{n}", "level": level,
                                                 "reasons": ["wait_long"] if level <= 2 else []}))
    items += [("request.refused", at(day, 13), {"id": "r1", "reason": "not_offered", "service": "C", "visit_id": "v1",
                                                "stop": "nanma-xincun", "stop_name": EVIL}),
              ("request.refused", at(day, 13, 5), {"id": "r2", "reason": "print_failed", "service": "A",
                                                   "visit_id": "v1", "stop": "nanma-xincun", "stop_name": EVIL}),
              ("suggestion", at(day, 14), {"id": "s1", "topics": ["weekend"], "visit_id": "v1"}),
              # the month after: not in this report
              ("ticket.issued", at(day + timedelta(days=40), 10), {"ticket_id": "x", "number": "A900", "service": "A"})]
    send(observer, items, "month")
    http, csrf = server.login()
    wait_for(lambda: stored(http, len(items)), 30, "the month's events at headquarters")
    # The route calendar planned two sessions that month: one held (day, 南麻), one missed (day + 3, 历山).
    h = {"X-CSRF-Token": csrf}
    assert http.post("/api/v1/documents/catalog", json=shipped_catalog(), headers=h).status_code == 201
    for stop, lat in (("nanma-xincun", 36.19), ("lishan-park", 36.21)):
        r = http.put(f"/api/v1/stops/{stop}", headers=h, json={"name_zh": stop, "lat": lat, "lon": 118.17})
        assert r.status_code == 200, r.text
    for stop, when in (("nanma-xincun", day), ("lishan-park", day + timedelta(days=3))):
        r = http.post(f"/api/v1/route/{BUS}/sessions", headers=h, json={
            "day": when.isoformat(), "stop": stop, "arrive": "08:50", "depart": "11:30", "services": ["A"]})
        assert r.status_code == 201, r.text

    def ztc(*args: str) -> str:
        r = subprocess.run([sys.executable, "-m", "ztc_cli", "--config", str(server.config), "hq", "report", *args],
                           capture_output=True, text=True, cwd=REPO, timeout=120)
        assert r.returncode == 0, r.stderr
        return r.stdout

    label = f"{day:%Y-%m}"
    assert f"month-{label}" in ztc("--kind", "month", "--date", day.isoformat())
    listed = {r["id"]: r for r in http.get("/api/v1/reports").json()}
    assert listed[f"month-{label}"]["created_by"] == "cli"
    pdf = http.get(f"/api/v1/reports/month-{label}.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    (artifacts() / "monthly-report.pdf").write_bytes(pdf.content)
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "2", str(artifacts() / "monthly-report.pdf"),
                    str(artifacts() / "monthly-report")], check=True)
    text = pdf_text(pdf.content, tmp_path)

    good = sum(1 for lv in levels if lv >= 4)
    expected = {  # computed here from the events above
        "sessions planned": 2, "sessions held": 2, "planned sessions missed": 1, "home visits": 1,
        "late arrivals (> 5 min)": 1, "tickets issued": len(outcomes),
        "residents served": len(outcomes), "Completed": outcomes.count("completed"),
        "Accepted for processing": 1, "Consultation": 1, "Assisted / done on behalf": 1,
        "waiting median (min)": round(statistics.median(waits) / 60, 1),
        "pages scanned": sum(range(len(outcomes))), "pages printed and copied": 2 * sum(range(len(outcomes))),
        "EMS shipments": 1, "ratings": len(levels), "share of good ratings": f"{good / len(levels) * 100:.1f}%",
        "bad ratings": sum(1 for lv in levels if lv <= 2), "suggestions (kiosk)": 1, "requests refused": 2,
    }
    for name, value in expected.items():
        line = next((ln for ln in text.splitlines() if re.search(rf"\b{re.escape(name)}\s{{2,}}", ln)), None)
        assert line is not None, f"no line for {name} in the PDF text"
        assert re.search(rf"\s{re.escape(str(value))}(\s|$)", line.split(name, 1)[1]), f"{name}: {line!r} ≠ {value}"
    assert "<b>南麻</b><img src=x>" in text  # escaped: printed as written, not bold, no image

    csv_rows = list(csv.reader(io.StringIO(http.get(f"/api/v1/reports/month-{label}.csv").text.lstrip("\ufeff"))))
    county = {r[4]: r[6] for r in csv_rows[1:] if r[3] == "county"}
    assert county["served"] == str(len(outcomes)) and county["outcome.completed"] == "3"
    assert county["good_rate"] == str(round(good / len(levels), 4)) and county["refused.print_failed"] == "1"
    assert {r[3] for r in csv_rows[1:]} == {"county", BUS}

    # The timer's run: the last complete week and month, once; a second run makes nothing.
    first = ztc("--due")
    assert "week-" in first  # the month just reported may or may not be the last complete one
    assert "no report due" in ztc("--due")

    # The public results page's API: the same month's published figures, no log-in.
    pub = httpx.get(f"{server.url}/api/public/results", params={"month": label}).json()["months"][0]
    assert pub["served"] == len(outcomes) and pub["good_rate"] == round(good / len(levels), 4)
    assert set(pub) == {"month", "sessions_held", "served", "outcomes", "ratings", "rating_rate", "good_rate",
                        "ratings_bad", "callback_rate", "rectify_rate", "accepted_done", "suggestions_kiosk",
                        "suggestions_phone"}
