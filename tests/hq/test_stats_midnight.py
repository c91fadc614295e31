"""The day's figures put each ticket on the day it was issued in Beijing time, its outcome with it:
an evening session's A031 issued at 23:50 and served at 00:10 is one ticket served on the evening's day."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from tests.hq.conftest import Hq

TZ = ZoneInfo("Asia/Shanghai")


def at(stamp: str) -> float:
    return datetime.fromisoformat(stamp).replace(tzinfo=TZ).timestamp()


def test_outcomes_after_midnight_count_on_the_tickets_issue_day(hq: Hq) -> None:
    hq.events("bus-a", [
        ("ticket.issued", at("2026-12-01T22:40"), {"ticket_id": "t1", "service": "A", "stop": "park"}),
        ("ticket.issued", at("2026-12-01T23:50"), {"ticket_id": "t2", "service": "A", "stop": "park"}),
        ("ticket.served", at("2026-12-01T23:10"), {"ticket_id": "t1", "service": "A", "wait_s": 600, "service_s": 300}),
        ("ticket.issued", at("2026-12-02T00:05"), {"ticket_id": "t3", "service": "A", "stop": "park"}),
        ("ticket.served", at("2026-12-02T00:10"), {"ticket_id": "t2", "service": "A", "wait_s": 900, "service_s": 200}),
        ("rating", at("2026-12-02T00:12"), {"ticket_id": "t2", "service": "A", "level": 5}),
        ("ticket.no_show", at("2026-12-02T00:20"), {"ticket_id": "t3", "service": "A"}),
        ("ticket.served", at("2026-12-02T09:00"), {"ticket_id": "zz", "service": "A", "wait_s": 60, "service_s": 60}),
    ])
    c = hq.client("127.0.0.1")
    evening = c.get("/api/v1/stats", params={"date": "2026-12-01"}).json()["buses"][0]
    t = evening["totals"]
    assert (t["tickets"], t["served"], t["no_shows"], t["ratings"]["count"]) == (2, 2, 0, 1)
    assert t["wait_median_s"] == 750.0
    assert {h["hour"]: h["served"] for h in evening["by_hour"]} == {22: 0, 23: 2}
    morning = c.get("/api/v1/stats", params={"date": "2026-12-02"}).json()["buses"][0]["totals"]
    # t3 was issued after midnight: it and its no-show are the new day's; an outcome whose issue was
    # never stored (zz) stays on its own day
    assert (morning["tickets"], morning["served"], morning["no_shows"], morning["ratings"]["count"]) == (1, 1, 1, 0)
