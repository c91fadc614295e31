"""The route calendar over the API (in-process app, a fixed clock in late September 2026): stops with
the liaison's phone kept back, weekly templates applied around National Day and its 调休 weekends,
exceptions, publishing the bus's schedule document, and the public calendar."""
from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from contract import protocol
from tests.hq.conftest import Hq, shipped_catalog

BUS = "yiyuan-07"
TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 9, 28, 8, 0, tzinfo=TZ).timestamp()  # Monday before National Day, Beijing time
STOP = {"name_zh": "南麻街道新村社区", "name_en": "Xincun community", "village": "南麻街道", "lat": 36.1849,
        "lon": 118.1706, "radius_m": 120, "liaison_name": "王联络", "liaison_phone": "13912345678"}


@pytest.fixture
def planned(tmp_path: Path) -> Iterator[tuple[Hq, TestClient, dict[str, str]]]:
    hq = Hq(tmp_path)
    hq.clock.now = NOW
    http, csrf = hq.login()
    h = {"X-CSRF-Token": csrf}
    assert http.post("/api/v1/documents/catalog", json=shipped_catalog(), headers=h).status_code == 201
    assert http.put("/api/v1/stops/nanma-xincun", json=STOP, headers=h).status_code == 200
    park = STOP | {"name_zh": "历山街道工业园", "village": "历山街道", "lat": 36.2075, "lon": 118.1538}
    assert http.put("/api/v1/stops/lishan-park", json=park, headers=h).status_code == 200
    for weekday in (0, 2):  # Mondays and Wednesdays
        r = http.post(f"/api/v1/route/{BUS}/templates", headers=h, json={
            "weekday": weekday, "stop": "nanma-xincun", "arrive": "09:00", "depart": "11:30", "services": ["A", "F"]})
        assert r.status_code == 201, r.text
    yield hq, http, h
    hq.close()


def day(month: dict[str, Any], iso: str) -> dict[str, Any]:
    return next(d for d in month["days"] if d["date"] == iso)


def test_the_liaison_phone_stays_at_headquarters(planned: tuple[Hq, TestClient, dict[str, str]]) -> None:
    _, http, h = planned
    listing = http.get("/api/v1/stops").json()
    assert "13912345678" not in str(listing) and listing[1]["liaison_phone_masked"] == "139****5678"
    assert http.get("/api/v1/stops/nanma-xincun/liaison-phone").json() == {"phone": "13912345678"}
    assert http.put("/api/v1/stops/x", json=STOP).status_code == 403  # no CSRF token: refused
    r = http.put("/api/v1/stops/Bad_Id", json=STOP, headers=h)
    assert r.status_code == 422 and "a–z" in r.json()["detail"]
    r = http.delete("/api/v1/stops/nanma-xincun", headers=h)
    assert r.status_code == 422 and "仍在行程模板" in r.json()["detail"]


def test_templates_apply_by_the_working_day_calendar(planned: tuple[Hq, TestClient, dict[str, str]]) -> None:
    _, http, h = planned
    week = http.get("/api/v1/workdays", params={"start": "2026-10-05", "end": "2026-10-11"}).json()
    assert [d["kind"] for d in week] == ["holiday"] * 3 + ["workday"] * 2 + ["swap_workday", "weekend"]
    assert http.get("/api/v1/workdays", params={"start": "2026-10-11", "end": "2026-10-05"}).status_code == 422
    month = http.get(f"/api/v1/route/{BUS}/month", params={"month": "2026-10"}).json()
    assert len(month["days"]) == 31
    nd = day(month, "2026-10-05")  # a Monday inside the National Day holiday: no regular visit
    assert nd["kind"] == "holiday" and nd["name_zh"] == "国庆节" and nd["visits"] == []
    sat = day(month, "2026-10-10")  # 调休 Saturday doing Wednesday 10-07's work
    assert sat["kind"] == "swap_workday" and sat["works_as"] == "2026-10-07"
    assert [v["arrive"] for v in sat["visits"]] == ["09:00"]
    assert [v["name"] for v in day(month, "2026-10-12")["visits"]] == ["南麻街道新村社区"]
    assert day(month, "2026-10-13")["visits"] == []  # a Tuesday: no template
    sep = http.get(f"/api/v1/route/{BUS}/month", params={"month": "2026-09"}).json()
    sun = day(sep, "2026-09-20")  # 调休 Sunday doing Tuesday 10-06's work: Tuesdays have no visit
    assert sun["kind"] == "swap_workday" and sun["works_as"] == "2026-10-06" and sun["visits"] == []
    r = http.post(f"/api/v1/route/{BUS}/templates", headers=h, json={
        "weekday": 0, "stop": "lishan-park", "arrive": "11:00", "depart": "12:00", "services": ["A"]})
    assert r.status_code == 422 and "重叠" in r.json()["detail"]
    r = http.post(f"/api/v1/route/{BUS}/templates", headers=h, json={
        "weekday": 0, "stop": "nowhere", "arrive": "13:00", "depart": "14:00", "services": ["A"]})
    assert r.status_code == 422 and "没有这个停靠点" in r.json()["detail"]
    r = http.post(f"/api/v1/route/{BUS}/templates", headers=h, json={
        "weekday": 0, "stop": "lishan-park", "arrive": "15:00", "depart": "14:00", "services": ["A"]})
    assert r.status_code == 422 and "晚于" in r.text


def test_exceptions_publish_and_the_public_calendar(planned: tuple[Hq, TestClient, dict[str, str]]) -> None:
    hq, http, h = planned
    themed = {"day": "2026-10-03", "kind": "themed", "stop": "lishan-park", "arrive": "14:00", "depart": "16:00",
              "services": ["A"], "theme": "消防安全专场", "description": "国庆假期园区消防安全宣传与咨询"}
    r = http.post(f"/api/v1/route/{BUS}/sessions", headers=h, json=themed | {"theme": ""})
    assert r.status_code == 422 and "专场需要主题" in r.text
    assert http.post(f"/api/v1/route/{BUS}/sessions", headers=h, json=themed).status_code == 201
    extra = {"day": "2026-10-04", "kind": "extra", "stop": "nanma-xincun", "arrive": "09:00", "depart": "12:00",
             "services": ["F"]}
    assert http.post(f"/api/v1/route/{BUS}/sessions", headers=h, json=extra).status_code == 201
    clash = extra | {"arrive": "11:00", "depart": "13:00"}
    assert "重叠" in http.post(f"/api/v1/route/{BUS}/sessions", headers=h, json=clash).json()["detail"]
    month = http.get(f"/api/v1/route/{BUS}/month", params={"month": "2026-09"}).json()
    monday, wednesday = day(month, "2026-09-28")["visits"][0], day(month, "2026-09-30")["visits"][0]
    r = http.post(f"/api/v1/route/{BUS}/cancellations", headers=h,  # Monday's visit is not Wednesday's
                  json={"day": "2026-09-30", "template_id": monday["template_id"], "reason": "车辆保养"})
    assert r.status_code == 422 and "没有这条定时行程" in r.json()["detail"]
    r = http.post(f"/api/v1/route/{BUS}/cancellations", headers=h,
                  json={"day": "2026-09-30", "template_id": wednesday["template_id"], "reason": "车辆保养"})
    assert r.status_code == 201, r.text
    assert http.post(f"/api/v1/route/{BUS}/cancellations", headers=h,
                     json={"day": "2026-10-12", "reason": "全县停电"}).status_code == 201
    oct_ = http.get(f"/api/v1/route/{BUS}/month", params={"month": "2026-10"}).json()
    assert day(oct_, "2026-10-12")["cancelled_day"]["reason"] == "全县停电"
    assert day(oct_, "2026-10-03")["visits"][0]["kind_zh"] == "专场服务"

    r = http.post(f"/api/v1/route/{BUS}/publish", headers=h, json={"weeks": 3})
    assert r.status_code == 201, r.text
    assert r.json()["from"] == "2026-09-28" and r.json()["to"] == "2026-10-18" and r.json()["version"] == 1
    topic, doc, qos, retain = hq.published[-1]
    assert topic == protocol.bus_topic(BUS, protocol.SCHEDULE) and retain and qos == 1
    schedule = protocol.validate(protocol.Schedule, doc)
    starts = [datetime.fromtimestamp(v.arrive, TZ).strftime("%m-%d %H:%M") for v in schedule.visits]
    # 9-28 Mon; 9-30 cancelled; 10-03 专场; 10-04 错时; 10-10 调休 Sat as Wed; 10-12 cancelled; 10-14 Wed.
    assert starts == ["09-28 09:00", "10-03 14:00", "10-04 09:00", "10-10 09:00", "10-14 09:00"]
    assert schedule.visits[1].theme == "消防安全专场" and schedule.visits[1].radius_m == 120
    assert "13912345678" not in str(doc) and "王联络" not in str(doc)

    pub = hq.client().get("/api/public/calendar", params={"from": "2026-09-28", "to": "2026-10-18"}).json()
    assert "13912345678" not in str(pub) and "王联络" not in str(pub)
    park = next(s for s in pub["stops"] if s["stop"] == "lishan-park")
    assert park["village"] == "历山街道" and park["sessions"][0]["description"] == "国庆假期园区消防安全宣传与咨询"
    marks = {d["date"]: d["kind"] for d in pub["days"]}
    assert marks["2026-10-01"] == "holiday" and marks["2026-10-10"] == "swap_workday"
    assert hq.client().get("/api/public/calendar", params={"from": "2026-10-18", "to": "2026-10-01"}).status_code == 422
    assert http.post(f"/api/v1/route/{BUS}/publish", headers=h,
                     json={"start": "2026-09-01"}).status_code == 422  # the past
    assert "26" in http.post(f"/api/v1/route/{BUS}/publish", headers=h,
                             json={"start": "2027-03-01", "weeks": 8}).json()["detail"]  # too far ahead
    # A later start still sends everything from today: the document replaces the bus's whole schedule.
    r = http.post(f"/api/v1/route/{BUS}/publish", headers=h, json={"start": "2026-10-12", "weeks": 1})
    assert r.status_code == 201 and r.json()["from"] == "2026-09-28" and r.json()["to"] == "2026-10-18"
    assert len(protocol.validate(protocol.Schedule, hq.published[-1][1]).visits) == 5


def test_a_bad_override_file_is_a_clear_refusal_not_a_crash(tmp_path: Path) -> None:
    from ztc.settings import HqSettings
    bad = tmp_path / "holidays.yaml"
    bad.write_text("days:\n  - date: 2026-10-10\n    kind: maybe\n    name_zh: x\n", encoding="utf-8")
    hq = Hq(tmp_path, HqSettings(holidays_file=str(bad)))
    http, _ = hq.login()
    r = http.get(f"/api/v1/route/{BUS}/month", params={"month": "2026-10"})
    assert r.status_code == 422 and f"{bad}: line 2" in r.json()["detail"]
    bad.write_text("days:\n  - date: 2026-10-12\n    kind: holiday\n    name_zh: 县庆\n", encoding="utf-8")
    os.utime(bad, (bad.stat().st_atime, bad.stat().st_mtime + 5))
    assert day(http.get(f"/api/v1/route/{BUS}/month", params={"month": "2026-10"}).json(),
               "2026-10-12")["name_zh"] == "县庆"
    hq.close()


def test_the_notice_needs_a_log_in_and_uses_the_public_address(tmp_path: Path) -> None:
    from ztc.settings import HqSettings
    hq = Hq(tmp_path, HqSettings(public_url="https://zwfw.example.gov.cn/ztc"))
    hq.clock.now = NOW
    http, csrf = hq.login()
    assert http.put("/api/v1/stops/nanma-xincun", json=STOP, headers={"X-CSRF-Token": csrf}).status_code == 200
    assert hq.client().get("/api/v1/stops/nanma-xincun/notice.pdf").status_code == 401
    assert http.get("/api/v1/stops/nowhere/notice.pdf").status_code == 404
    pdf = http.get("/api/v1/stops/nanma-xincun/notice.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    f = tmp_path / "notice.pdf"
    f.write_bytes(pdf.content)
    text = subprocess.run(["pdftotext", "-layout", str(f), "-"], capture_output=True, text=True, check=True).stdout
    assert "近期暂无安排" in text  # nothing published yet: said, not an empty table
    assert "https://zwfw.example.gov.cn/ztc/public?stop=nanma-xincun&from=2026-09-28&to=2026-10-25" in text
    assert "节假日：" in text and "国庆节" in text and "13912345678" not in text
    hq.close()
