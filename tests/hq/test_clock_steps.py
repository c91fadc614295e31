"""A bus's ``clock.stepped`` event puts right, at headquarters, the events its wrong clock stamped:
those already stored and those that arrive after it, once each."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from contract import protocol
from tests.hq.conftest import Hq

TZ = ZoneInfo("Asia/Shanghai")
TRUE = datetime(2026, 12, 2, 9, 0, tzinfo=TZ).timestamp()
WRONG = datetime(2026, 12, 1, 18, 0, tzinfo=TZ).timestamp()  # fake-hwclock: the last shutdown
DELTA = TRUE - WRONG


def send(hq: Hq, events: list[tuple[int, str, float, dict[str, Any]]], ids: dict[int, str]) -> None:
    batch = {"epoch": "ep", "events": [{"seq": seq, "id": ids.setdefault(seq, str(uuid.uuid4())), "type": t, "ts": ts,
                                        "data": d} for seq, t, ts, d in events]}
    hq.store.store_events("bus-a", protocol.validate(protocol.EventBatch, batch), TRUE + 500)


def ticket(tid: str, ts: float) -> dict[str, Any]:
    return {"ticket_id": tid, "service": "A", "stop": "park", "issued_at": ts}


def test_steps_correct_events_before_and_after_they_arrive(hq: Hq) -> None:
    ids: dict[int, str] = {}
    step = {"delta_s": DELTA, "from_seq": 1, "upto_seq": 3, "wall_before": WRONG + 120}
    send(hq, [(1, "stop.arrived", WRONG, {"visit_id": "v1", "stop": "park", "name": "工业园", "late_s": -DELTA}),
              (2, "ticket.issued", WRONG + 60, ticket("t1", WRONG + 60))], ids)
    send(hq, [(4, "clock.stepped", TRUE + 120, step)], ids)  # seq 3 is late: the step arrives first
    by_seq = {e["seq"]: e for e in hq.store.events(bus="bus-a")}
    assert (by_seq[1]["ts"], by_seq[2]["ts"], by_seq[2]["data"]["issued_at"]) == (TRUE, TRUE + 60, TRUE + 60)
    assert by_seq[1]["data"]["late_s"] == 0.0  # it arrived on time, not 15 hours early
    send(hq, [(3, "ticket.issued", WRONG + 90, ticket("t2", WRONG + 90)),
              (5, "ticket.issued", TRUE + 200, ticket("t3", TRUE + 200))], ids)
    by_seq = {e["seq"]: e for e in hq.store.events(bus="bus-a")}
    assert by_seq[3]["ts"] == TRUE + 90 and by_seq[3]["data"]["issued_at"] == TRUE + 90
    assert by_seq[5]["ts"] == TRUE + 200  # stamped after the step: left alone
    send(hq, [(4, "clock.stepped", TRUE + 120, step)], ids)  # sent again (a lost ack): not shifted twice
    assert hq.store.events(bus="bus-a")[0]["ts"] == TRUE
    c = hq.client("127.0.0.1")
    assert c.get("/api/v1/stats", params={"date": "2026-12-02"}).json()["buses"][0]["totals"]["tickets"] == 3
    assert c.get("/api/v1/stats", params={"date": "2026-12-01"}).json()["buses"] == []


def test_a_malformed_step_changes_nothing(hq: Hq) -> None:
    ids: dict[int, str] = {}
    send(hq, [(1, "ticket.issued", WRONG, ticket("t1", WRONG)),
              (2, "clock.stepped", TRUE, {"delta_s": "soon", "from_seq": 1, "upto_seq": 1}),
              (3, "clock.stepped", TRUE, {"delta_s": DELTA, "from_seq": 1, "upto_seq": 9})], ids)
    assert hq.store.events(bus="bus-a")[0]["ts"] == WRONG
