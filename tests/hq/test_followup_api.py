"""The follow-up routes' refusals and limits (in-process app over a temp store): each bad input gets a
clear message and changes nothing."""
from __future__ import annotations

import time

from tests.hq.conftest import Hq


def accepted_case(hq: Hq, ticket: str = "t1") -> str:
    now = time.time()
    hq.events("bus-1", [("ticket.issued", now - 60, {"ticket_id": ticket, "number": "A001", "service": "A"}),
                        ("ticket.served", now, {"ticket_id": ticket, "number": "A001", "service": "A",
                                                "outcome": "accepted", "case_no": "SD0001", "department": "县人社局",
                                                "promised_date": "2099-01-01"})])
    c, _ = hq.login()
    return c.get("/api/v1/accepted").json()[0]["id"]


def test_accepted_changes_need_an_operator_and_valid_input(hq: Hq) -> None:
    cid = accepted_case(hq)
    c, csrf = hq.login()
    h = {"X-CSRF-Token": csrf}
    assert c.post(f"/api/v1/accepted/{cid}", json={"done": True}).status_code == 403     # no CSRF token
    assert hq.client().post(f"/api/v1/accepted/{cid}", json={"done": True}).status_code == 401
    r = c.post(f"/api/v1/accepted/{cid}", json={}, headers=h)
    assert r.status_code == 422 and "没有要更改" in r.json()["detail"]
    r = c.post("/api/v1/accepted/nope", json={"done": True}, headers=h)
    assert r.status_code == 422 and "没有这个受理件" in r.json()["detail"]
    done = c.post(f"/api/v1/accepted/{cid}", json={"done": True}, headers=h).json()
    assert done["status"] == "done" and done["done_by"] == "chief"
    r = c.post(f"/api/v1/accepted/{cid}", json={"ems_no": "12-34"}, headers=h)
    assert r.status_code == 422 and "EMS" in r.json()["detail"]
    assert c.get("/api/v1/accepted").json()[0]["ems_no"] is None
    again = c.post(f"/api/v1/accepted/{cid}", json={"done": True}, headers=h).json()
    assert again["done_at"] == done["done_at"]   # 办结 once: who and when are kept


def test_a_resent_served_event_is_one_case(hq: Hq) -> None:
    accepted_case(hq)
    c, _ = hq.login()
    rows = hq.store.query("SELECT id, type, ts, data FROM events WHERE type = 'ticket.served'")
    assert len(rows) == 1 and len(c.get("/api/v1/accepted").json()) == 1


def test_phone_suggestions_are_limited_and_need_a_known_ticket(hq: Hq) -> None:
    accepted_case(hq, "t9")
    c = hq.client()
    assert c.post("/api/public/tickets/unknown/suggestion", json={"text": "x"}).status_code == 422
    assert "尚未收到" in c.post("/api/public/tickets/unknown/suggestion", json={"text": "x"}).json()["detail"]
    r = c.post("/api/public/tickets/t9/suggestion", json={"text": "   "})
    assert r.status_code == 422 and "请写下" in r.json()["detail"]
    r = c.post("/api/public/tickets/t9/suggestion", json={"text": "长" * 501})
    assert r.status_code == 422 and "500" in r.json()["detail"]
    for n in range(3):
        assert c.post("/api/public/tickets/t9/suggestion", json={"text": f"建议 {n}"}).status_code == 201
    r = c.post("/api/public/tickets/t9/suggestion", json={"text": "第四条"})
    assert r.status_code == 422 and "最多" in r.json()["detail"]
    staff, _ = hq.login()
    assert sorted(p["text"] for p in staff.get("/api/v1/demand").json()["phone"]) == ["建议 0", "建议 1", "建议 2"]
    assert hq.client().get("/api/v1/demand").status_code == 401   # the texts are staff only


def test_report_and_range_refusals(hq: Hq) -> None:
    c, csrf = hq.login()
    assert c.get("/api/v1/reports/month-2026-11.pdf").status_code == 404
    assert c.get("/api/v1/demand", params={"from": "2026-05-01", "to": "2026-04-01"}).status_code == 422
    assert hq.client().get("/api/public/results", params={"month": "2026-13"}).status_code == 422
    r = c.post("/api/v1/reports", json={"kind": "year"}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 422
    made = c.post("/api/v1/reports", json={"kind": "week", "day": "2026-11-11"}, headers={"X-CSRF-Token": csrf})
    assert made.status_code == 201 and made.json()["id"] == "week-2026-W46"
    assert made.json()["first"] == "2026-11-09" and made.json()["last"] == "2026-11-15"
    assert c.get("/api/v1/reports/week-2026-W46.pdf").content.startswith(b"%PDF")
