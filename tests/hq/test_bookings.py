"""The hotline booking desk over the API (in-process app, a fixed clock on Monday 2026-09-28 in
Beijing, before National Day): booking at a stop visit's slot and at home, every refusal with its
reason, change and cancel republished to the bus, the masked phone, the sms outbox file, and the
audit log of each change and of each opening of a phone number."""
from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from contract import protocol
from tests.hq.conftest import ADMIN, Hq, shipped_catalog
from ztc.settings import HqSettings

BUS = "yiyuan-07"
TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 9, 28, 8, 0, tzinfo=TZ).timestamp()  # Monday, Beijing time
WED = "2026-09-30"  # the regular visit 09:00–11:30 at 南麻 (A, F)
PHONE = "13912345678"
STOP = {"name_zh": "南麻街道新村社区", "name_en": "Xincun community", "village": "南麻街道", "lat": 36.1849,
        "lon": 118.1706, "radius_m": 120}


def ts(day: str, hm: str) -> float:
    return datetime.fromisoformat(f"{day}T{hm}").replace(tzinfo=TZ).timestamp()


def at_stop(slot: str, **extra: Any) -> dict[str, Any]:
    return {"bus": BUS, "kind": "stop", "service": "A", "name": "张三丰", "phone": PHONE, "stop": "nanma-xincun",
            "slot_start": ts(WED, slot)} | extra


def at_home(day: str, start: str, end: str, **extra: Any) -> dict[str, Any]:
    return {"bus": BUS, "kind": "home", "service": "A", "name": "李四", "phone": "13800001111", "day": day,
            "start": start, "end": end, "address": "南麻街道幸福村3组12号", "lat": 36.19, "lon": 118.17,
            "need": "bedridden", "note": "需要轮椅通道"} | extra


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[tuple[Hq, TestClient, dict[str, str]]]:
    hq = Hq(tmp_path, HqSettings(sms_outbox=str(tmp_path / "outbox"), booking_slot_capacity=2))
    hq.clock.now = NOW
    http, csrf = hq.login()
    h = {"X-CSRF-Token": csrf}
    assert http.post("/api/v1/documents/catalog", json=shipped_catalog(), headers=h).status_code == 201
    assert http.put("/api/v1/stops/nanma-xincun", json=STOP, headers=h).status_code == 200
    for weekday in (0, 2):
        r = http.post(f"/api/v1/route/{BUS}/templates", headers=h, json={
            "weekday": weekday, "stop": "nanma-xincun", "arrive": "09:00", "depart": "11:30", "services": ["A", "F"]})
        assert r.status_code == 201, r.text
    assert http.post(f"/api/v1/route/{BUS}/publish", headers=h, json={"weeks": 3}).status_code == 201
    yield hq, http, h
    hq.close()


def sent(hq: Hq, kind: str) -> dict[str, Any]:
    """The newest document of this kind handed to the broker for the bus."""
    topic = protocol.bus_topic(BUS, kind)
    return [p for t, p, _, _ in hq.published if t == topic][-1]


def refusal(http: TestClient, h: dict[str, str], body: dict[str, Any]) -> str:
    r = http.post("/api/v1/appointments", json=body, headers=h)
    assert r.status_code == 422, r.text
    return str(r.json()["detail"])


def test_book_at_a_stop_slot_masked_on_the_bus_and_written_to_the_outbox(
        desk: tuple[Hq, TestClient, dict[str, str]], tmp_path: Path) -> None:
    hq, http, h = desk
    slots = http.get("/api/v1/appointments/slots", params={"bus": BUS, "date": WED}).json()
    visit = slots["visits"][0]
    assert visit["name"] == "南麻街道新村社区" and [s["label"] for s in visit["slots"]][:2] == ["09:00–09:30",
                                                                                              "09:30–10:00"]
    assert visit["slots"][1]["free"] == 2
    r = http.post("/api/v1/appointments", json=at_stop("09:30", item="A01"), headers=h)
    assert r.status_code == 201, r.text
    out = r.json()
    b = out["booking"]
    assert len(b["code"]) == 6 and b["code"].isdigit() and b["place"] == "南麻街道新村社区"
    assert b["start"] == "09:30" and b["end"] == "10:00" and b["phone_masked"] == "139****5678"
    assert b["code"] in out["confirmation"] and "南麻街道新村社区" in out["confirmation"]
    assert "张*" in out["confirmation"] and "张三丰" not in out["confirmation"]
    # The outbox file: the message, to the full number (the gateway needs it) — and no claim it was sent.
    assert out["sms"]["written"] and "written to the outbox file" in out["sms"]["text_zh"]
    assert "sent" not in out["sms"]["text_zh"].replace("written", "")
    files = list((tmp_path / "outbox").glob("*.json"))
    assert len(files) == 1
    msg = json.loads(files[0].read_text(encoding="utf-8"))
    assert msg["to"] == PHONE and b["code"] in msg["text"] and msg["driver"] == "file"
    # The bus: masked name, last four digits, nothing more.
    doc = sent(hq, protocol.APPOINTMENTS)
    assert doc["items"] == [{"id": b["id"], "code": b["code"], "stop": "nanma-xincun", "slot_start": ts(WED, "09:30"),
                             "slot_end": ts(WED, "10:00"), "service": "A", "name_masked": "张**",
                             "phone_last4": "5678", "needs": ""}]
    assert PHONE not in json.dumps(hq.published, ensure_ascii=False)
    assert "张三丰" not in json.dumps(hq.published, ensure_ascii=False)
    assert http.get("/api/v1/appointments/slots", params={"bus": BUS, "date": WED}).json()[
        "visits"][0]["slots"][1]["free"] == 1


def test_each_conflict_is_refused_with_its_reason(desk: tuple[Hq, TestClient, dict[str, str]]) -> None:
    _hq, http, h = desk
    for _ in range(2):
        assert http.post("/api/v1/appointments", json=at_stop("10:00"), headers=h).status_code == 201
    assert "已约满" in refusal(http, h, at_stop("10:00"))                       # slot full (capacity 2)
    assert "不办理" in refusal(http, h, at_stop("10:30", service="B"))           # not offered at that visit
    why = refusal(http, h, at_home(WED, "10:00", "11:00"))                      # the bus is at 南麻 then
    assert "车辆当时在南麻街道新村社区" in why and "the bus is at nanma-xincun then" in why
    assert "没有安排在此站" in refusal(http, h, at_stop("14:00"))                 # no visit at this stop then
    why = refusal(http, h, at_home("2026-10-05", "09:00", "10:00"))             # National Day: no service
    assert "国庆节" in why and "holiday" in why
    why = refusal(http, h, at_stop("09:00") | {"slot_start": ts("2026-10-05", "09:00")})
    assert "国庆节" in why
    assert "已过" in refusal(http, h, at_home("2026-09-27", "09:00", "10:00"))  # yesterday
    assert http.post("/api/v1/appointments", json=at_home(WED, "14:00", "15:00"), headers=h).status_code == 201
    assert "另一处上门服务" in refusal(http, h, at_home(WED, "14:30", "15:30"))    # the bus is at another home
    assert "电话或身份证号" in refusal(http, h, at_home(WED, "16:00", "17:00", note="家属电话13912345678"))
    assert "姓名" in refusal(http, h, at_home(WED, "16:00", "17:00", note="李四的女儿在家"))
    assert "地图" in refusal(http, h, at_home(WED, "16:00", "17:00", lat=None))
    r = http.post("/api/v1/appointments", json=at_stop("09:00", phone="12345"), headers=h)
    assert r.status_code == 422 and "11 位手机号" in json.dumps(r.json(), ensure_ascii=False)
    assert http.post("/api/v1/appointments", json=at_stop("09:00")).status_code == 403  # no CSRF token


def test_a_home_visit_is_a_planned_visit_and_the_calendar_keeps_it(
        desk: tuple[Hq, TestClient, dict[str, str]]) -> None:
    hq, http, h = desk
    before = sent(hq, protocol.SCHEDULE)
    r = http.post("/api/v1/appointments", json=at_home(WED, "14:00", "15:00"), headers=h)
    assert r.status_code == 201, r.text
    b = r.json()["booking"]
    schedule = sent(hq, protocol.SCHEDULE)
    assert schedule["version"] == before["version"] + 1
    homes = [v for v in schedule["visits"] if v["kind"] == "home"]
    assert homes == [{"stop": f"home-{b['id']}", "name": "南麻街道幸福村3组12号", "lat": 36.19, "lon": 118.17,
                      "radius_m": 50.0, "arrive": ts(WED, "14:00"), "depart": ts(WED, "15:00"), "services": ["A"],
                      "theme": None, "kind": "home"}]
    regular = [v for v in schedule["visits"] if v["kind"] == "stop"]
    assert regular == before["visits"]  # the calendar's visits kept as they were
    item = next(i for i in sent(hq, protocol.APPOINTMENTS)["items"] if i["id"] == b["id"])
    assert item["stop"] == f"home-{b['id']}" and item["needs"] == "卧床：需要轮椅通道" and item["name_masked"] == "李*"
    # Publishing the calendar again sends the home visit too.
    assert http.post(f"/api/v1/route/{BUS}/publish", headers=h, json={"weeks": 3}).status_code == 201
    again = sent(hq, protocol.SCHEDULE)
    assert again["version"] == schedule["version"] + 1 and homes[0] in again["visits"]
    # The public calendar shows no home visit (an address is not for the public).
    assert "幸福村" not in json.dumps(http.get("/api/public/calendar", params={"from": WED, "to": WED}).json(),
                                      ensure_ascii=False)


def test_change_and_cancel_reach_the_bus_and_are_audited(desk: tuple[Hq, TestClient, dict[str, str]]) -> None:
    hq, http, h = desk
    b = http.post("/api/v1/appointments", json=at_home(WED, "14:00", "15:00"), headers=h).json()["booking"]
    r = http.patch(f"/api/v1/appointments/{b['id']}", json={"start": "15:00", "end": "16:00"}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["booking"]["code"] == b["code"] and "已改为" in r.json()["confirmation"]
    home = next(v for v in sent(hq, protocol.SCHEDULE)["visits"] if v["kind"] == "home")
    assert home["arrive"] == ts(WED, "15:00")
    assert sent(hq, protocol.APPOINTMENTS)["items"][0]["slot_start"] == ts(WED, "15:00")
    # A change into a conflict is refused and nothing changes.
    r = http.patch(f"/api/v1/appointments/{b['id']}", json={"start": "10:00", "end": "11:00"}, headers=h)
    assert r.status_code == 422 and "南麻" in r.json()["detail"]
    r = http.delete(f"/api/v1/appointments/{b['id']}", params={"reason": "家属来电取消"}, headers=h)
    assert r.status_code == 200 and "已取消" in r.json()["confirmation"]
    assert sent(hq, protocol.APPOINTMENTS)["items"] == []
    assert not [v for v in sent(hq, protocol.SCHEDULE)["visits"] if v["kind"] == "home"]
    assert http.delete(f"/api/v1/appointments/{b['id']}", headers=h).status_code == 422  # already cancelled
    listed = http.get("/api/v1/appointments", params={"bus": BUS, "date": WED}).json()["items"]
    assert [x["status"] for x in listed] == ["cancelled"] and listed[0]["cancel_reason"] == "家属来电取消"
    entries = [e for e in hq.ctx.audit.search(TZ, kind="booking")]
    assert len(entries) == 3 and all(e.actor == ADMIN and e.client == "203.0.113.9" for e in entries)
    cancel, change, create = entries
    assert create.before is None and create.after["start"] == "14:00"
    assert change.before["start"] == "14:00" and change.after["start"] == "15:00"
    assert cancel.after["status"] == "cancelled"
    assert "13800001111" not in json.dumps([e.as_dict() for e in entries], ensure_ascii=False)


def test_the_phone_is_masked_except_to_the_operator_who_opens_it(
        desk: tuple[Hq, TestClient, dict[str, str]]) -> None:
    hq, http, h = desk
    b = http.post("/api/v1/appointments", json=at_stop("09:00"), headers=h).json()["booking"]
    listed = http.get("/api/v1/appointments", params={"bus": BUS, "date": WED}).json()
    assert PHONE not in json.dumps(listed) and listed["items"][0]["phone_masked"] == "139****5678"
    assert PHONE not in http.get(f"/api/v1/appointments/{b['id']}").text
    assert not hq.ctx.audit.search(TZ, kind="booking_phone")
    assert http.get(f"/api/v1/appointments/{b['id']}/phone").json() == {"phone": PHONE}
    opened = hq.ctx.audit.search(TZ, kind="booking_phone")
    assert len(opened) == 1 and opened[0].actor == ADMIN and opened[0].target == b["id"]
    assert opened[0].after["phone_masked"] == "139****5678"
    assert hq.client().get(f"/api/v1/appointments/{b['id']}/phone").status_code == 401  # not logged in


def test_a_bus_without_a_published_schedule_cannot_be_booked(tmp_path: Path) -> None:
    hq = Hq(tmp_path, HqSettings(sms_outbox=str(tmp_path / "outbox")))
    hq.clock.now = NOW
    http, csrf = hq.login()
    h = {"X-CSRF-Token": csrf}
    assert http.post("/api/v1/documents/catalog", json=shipped_catalog(), headers=h).status_code == 201
    r = http.post("/api/v1/appointments", json=at_home(WED, "14:00", "15:00"), headers=h)
    assert r.status_code == 422 and "线路日历" in r.json()["detail"]
    hq.close()


def test_an_unwritable_outbox_keeps_the_booking_and_says_so(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    hq = Hq(tmp_path, HqSettings(sms_outbox=str(blocker / "outbox")))
    hq.clock.now = NOW
    http, csrf = hq.login()
    h = {"X-CSRF-Token": csrf}
    http.post("/api/v1/documents/catalog", json=shipped_catalog(), headers=h)
    http.put("/api/v1/stops/nanma-xincun", json=STOP, headers=h)
    http.post(f"/api/v1/route/{BUS}/templates", headers=h, json={
        "weekday": 2, "stop": "nanma-xincun", "arrive": "09:00", "depart": "11:30", "services": ["A"]})
    http.post(f"/api/v1/route/{BUS}/publish", headers=h, json={"weeks": 1})
    r = http.post("/api/v1/appointments", json=at_stop("09:00"), headers=h)
    assert r.status_code == 201 and not r.json()["sms"]["written"] and "请口头告知" in r.json()["sms"]["text_zh"]
    assert len(http.get("/api/v1/appointments", params={"bus": BUS, "date": WED}).json()["items"]) == 1
    hq.close()


def test_the_desk_pages_need_a_log_in(desk: tuple[Hq, TestClient, dict[str, str]]) -> None:
    hq, http, _ = desk
    for path in ("/booking", "/booking/day?bus=yiyuan-07&date=2026-09-30"):
        assert hq.client().get(path, follow_redirects=False).status_code == 303
        r = http.get(path)
        assert r.status_code == 200 and "预约" in r.text
    assert "预约服务专线" in http.get("/").text  # the dashboard links the desk


def test_booking_ids_never_read_as_a_phone_number() -> None:
    """A home visit's stop is ``home-<booking id>`` in the bus's schedule; an id holding 11 digits in
    a row made the privacy check refuse the whole schedule (seen once in the suite: a booking that
    could not be published). Thousands of ids, none refused."""
    from contract.privacy import private_fields
    from hq.bookings import new_booking_id

    ids = {new_booking_id() for _ in range(5000)}
    assert len(ids) == 5000
    assert private_fields({"visits": [{"stop": f"home-{i}"} for i in ids]}) == []
