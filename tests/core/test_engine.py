"""The queue engine's rules, each driven through QueueEngine as the kiosk and CLI drive it."""
from __future__ import annotations

import pytest

from tests.core.conftest import events
from tests.support import make_settings
from ztc.db import open_database
from ztc.domain.engine import QueueEngine, QueueError, QueueSnapshot

PROTOCOL_QUEUE_KEYS = {"ts", "stop", "waiting", "by_service", "serving", "windows_open", "issued_today",
                       "served_today", "accepting"}


def at_stop(engine: QueueEngine, stop: str = "nanma-xincun") -> dict:
    return engine.arrive(stop, "gps")


def test_numbers_per_prefix(engine):
    at_stop(engine)
    nums = [engine.issue(p).number for p in "AABAD"]
    assert nums == ["A001", "A002", "B001", "A003", "D001"]


def test_no_tickets_without_a_visit(engine):
    with pytest.raises(QueueError) as e:
        engine.issue("A")
    assert e.value.code == "no_visit" and "/" in str(e.value)


def test_numbering_restarts_next_service_day_and_survives_clock_jump_back(engine, clock):
    at_stop(engine)
    assert engine.issue("A").number == "A001"
    assert engine.issue("A").number == "A002"
    engine.depart(decision="release")
    clock.advance(24 * 3600)
    at_stop(engine)
    assert engine.issue("A").number == "A001"
    clock.advance(-24 * 3600 - 60)  # the wall clock jumps back to yesterday
    assert engine.issue("A").number == "A002"  # never A003 of yesterday reissued, never A001 again
    with engine.db.read() as conn:
        rows = conn.execute("SELECT service_day, number FROM tickets").fetchall()
    assert len({tuple(r) for r in rows}) == len(rows)


def test_lifecycle_writes_one_event_per_change_and_a_record(engine, clock):
    at_stop(engine)
    engine.open_window(1, "007", ["A"])
    t = engine.issue("A")
    clock.advance(120)
    assert engine.call_next(1).number == t.number
    clock.advance(30)
    engine.start(1)
    clock.advance(600)
    done = engine.complete(1, "A01", "completed", ems_no="EA123456789CN")
    assert done.state == "served" and done.final
    served = events(engine, "ticket.served")
    assert len(served) == 1
    rec = served[0]
    assert rec["wait_s"] == 120 and rec["service_s"] == 600 and rec["item"] == "A01" and rec["crew"] == "007"
    assert rec["ems_no"] == "EA123456789CN" and rec["window"] == 1
    types = [e["type"] for e in events(engine)]
    assert types == ["stop.arrived", "ticket.issued", "ticket.called", "ticket.started", "ticket.served"]


def test_record_counts_pages_from_devices(engine):
    at_stop(engine)
    engine.open_window(1, "007", ["G"])
    t = engine.issue("G")
    engine.call_next(1)
    engine.record_pages(t.id, scanned=3, printed=6)
    engine.complete(1, "G01", "completed")
    rec = events(engine, "ticket.served")[0]
    assert rec["pages_scanned"] == 3 and rec["pages_printed"] == 6


def test_recall_then_no_show_after_configured_calls(tmp_path, clock):
    settings = make_settings(tmp_path, QUEUE__NO_SHOW_AFTER_CALLS="2")
    engine = QueueEngine(open_database(settings.db_path), settings, clock)
    at_stop(engine)
    engine.open_window(1, "007", ["A"])
    engine.issue("A")
    engine.call_next(1)
    assert engine.recall(1).calls == 2
    assert engine.recall(1).state == "no_show"
    assert [e["call_count"] for e in events(engine, "ticket.called")] == [1, 2]
    assert len(events(engine, "ticket.no_show")) == 1


def test_window_must_finish_before_calling_again(engine):
    at_stop(engine)
    engine.open_window(1, "007", ["A"])
    engine.issue("A")
    engine.issue("A")
    engine.call_next(1)
    with pytest.raises(QueueError) as e:
        engine.call_next(1)
    assert e.value.code == "window_busy"


def test_call_respects_skills_and_pause(engine):
    at_stop(engine)
    engine.open_window(1, "007", ["B"])
    engine.issue("A")
    assert engine.call_next(1) is None
    engine.pause_window(1)
    with pytest.raises(QueueError) as e:
        engine.call_next(1)
    assert e.value.code == "window_paused"


def test_priority_interleaves_at_ratio(engine):
    engine.arrive_adhoc("测试点")  # no planned departure: no cut-off in the way
    engine.open_window(1, "007", ["A"])
    for _ in range(6):
        engine.issue("A")
    for _ in range(3):
        engine.issue("A", priority=True)
    order = []
    while (t := engine.call_next(1)) is not None:
        order.append("P" if t.priority else "N")
        engine.complete(1, "A01", "completed")
    # ratio 2: a waiting priority ticket first, then at most two normal ones before the next
    assert "".join(order) == "PNNPNNPNN"


def test_transfer_keeps_issue_time_and_place(engine, clock):
    at_stop(engine)
    engine.open_window(1, "007", ["B"])
    first = engine.issue("A")
    clock.advance(60)
    engine.issue("B")
    clock.advance(60)
    moved = engine.transfer(first.number, "B")
    assert moved.prefix == "B" and moved.issued_at == first.issued_at
    assert moved.transferred_from == first.id
    assert engine.ticket(first.id).state == "transferred"
    assert engine.call_next(1).id == moved.id  # it waited longest
    ev = events(engine, "ticket.transferred")[0]
    assert ev["new_number"] == moved.number and ev["to_service"] == "B"
    assert engine.snapshot().issued_today == 2  # a transfer is not a new resident


def test_cancel(engine):
    at_stop(engine)
    t = engine.issue("A")
    assert engine.cancel(t.number).state == "cancelled"
    with pytest.raises(QueueError):
        engine.cancel(t.number)


def test_wait_estimate_uses_recent_service_times_and_windows(engine, clock):
    at_stop(engine)
    engine.open_window(1, "007", ["D"])
    base = engine.estimate("D")
    assert base.mean_service_s == 8 * 60  # catalog minutes before any service today
    engine.issue("D")
    engine.call_next(1)
    engine.start(1)
    clock.advance(100)
    engine.complete(1, "D01", "completed")
    for _ in range(4):
        engine.issue("D")
    est = engine.estimate("D")
    assert est.mean_service_s == 100 and est.ahead == 4 and est.wait_s == 400
    engine.open_window(2, "008", ["D"])
    assert engine.estimate("D").wait_s == 200
    t = engine.issue("D")
    assert t.ahead == 4 and t.est_wait_s == 200


def test_departure_cutoff_refuses_and_names_later_visits(engine, clock):
    at_stop(engine)  # planned depart 11:30, margin 10 min
    clock.advance(2 * 3600 + 10 * 60)  # 11:15: an A ticket (~20 min) cannot finish before 11:20
    with pytest.raises(QueueError) as e:
        engine.issue("A")
    assert e.value.code == "cutoff"
    later = e.value.details["later"]
    assert later[0]["stop"] == "lishan-park"
    assert engine.issue("G").number == "G001"  # a 3-minute service still fits


def test_daily_cap(tmp_path, clock):
    settings = make_settings(tmp_path, QUEUE__DAILY_CAPS="{B: 2}")
    engine = QueueEngine(open_database(settings.db_path), settings, clock)
    at_stop(engine)
    engine.issue("B")
    engine.issue("B")
    with pytest.raises(QueueError) as e:
        engine.issue("B")
    assert e.value.code == "cap_reached"


def test_service_not_offered_at_this_stop(engine):
    at_stop(engine)  # nanma-xincun has no C (construction) in the sample schedule
    with pytest.raises(QueueError) as e:
        engine.issue("C")
    assert e.value.code == "not_offered" and e.value.details["later"][0]["stop"] == "lishan-park"


def test_adhoc_visit_offers_everything(engine):
    v = engine.arrive_adhoc("张家庄村委会")
    assert v.adhoc and v.planned_depart is None
    assert engine.issue("C").number == "C001"


def test_depart_with_waiting_tickets_needs_a_decision(engine):
    at_stop(engine)
    a = engine.issue("A")
    b = engine.issue("D")
    c = engine.issue("E")
    with pytest.raises(QueueError) as e:
        engine.depart("gps")
    assert e.value.code == "pending_tickets" and e.value.details["remaining"] == ["A001", "D001", "E001"]
    assert engine.current_visit().closing is True
    assert engine.snapshot().accepting is False
    with pytest.raises(QueueError):
        engine.issue("A")
    r = engine.depart(decision={a.number: "release", b.id: "rebook", c.number: "serve"})
    assert not r.closed and r.remaining == ("E001",) and r.released == 1 and r.rebooked == 1
    rebooked = events(engine, "ticket.rebooked")[0]
    assert rebooked["stop"] == "lishan-park" and len(rebooked["code"]) == 6
    engine.open_window(1, "007", ["E"])
    engine.call_next(1)
    engine.complete(1, "E01", "completed")
    r = engine.depart()
    assert r.closed and r.visit is not None and r.visit.closed_at is not None and engine.current_visit() is None
    dep = events(engine, "stop.departed")
    assert len(dep) == 1 and dep[0]["released"] == 0
    states = {t: engine.ticket(t).state for t in (a.id, b.id, c.id)}
    assert states == {a.id: "released", b.id: "rebooked", c.id: "served"}


def test_rebooked_ticket_checks_in_at_the_later_visit(engine, clock):
    at_stop(engine)
    engine.issue("A")
    engine.depart(decision="rebook")
    code = events(engine, "ticket.rebooked")[0]["code"]
    clock.advance(4.5 * 3600)  # 13:35 at lishan-park
    engine.arrive("lishan-park", "gps")
    t = engine.check_in(code=code)
    assert t.appointment_id and t.prefix == "A"


def test_arrival_reports_lateness_and_is_idempotent(engine, clock):
    clock.advance(10 * 60)  # planned 09:00, now 09:15
    v = engine.arrive("nanma-xincun", "gps")
    assert engine.arrive("nanma-xincun", "crew").id == v.id
    ev = events(engine, "stop.arrived")
    assert len(ev) == 1 and ev[0]["late_s"] == 15 * 60
    with pytest.raises(QueueError) as e:
        engine.arrive("lishan-park")
    assert e.value.code == "visit_open"


def test_unknown_stop(engine):
    with pytest.raises(QueueError) as e:
        engine.arrive("mars")
    assert e.value.code == "unknown_stop"


def test_appointments_check_in_by_code_and_by_phone(engine, clock):
    now = clock()
    engine.replace_appointments([
        {"id": "ap-1", "code": "123456", "stop": "nanma-xincun", "slot_start": now + 600, "slot_end": now + 1200,
         "service": "D", "name_masked": "王**", "phone_last4": "1234", "needs": "wheelchair"},
        {"id": "ap-2", "code": "654321", "stop": "lishan-park", "slot_start": now + 9000, "slot_end": now + 9600,
         "service": "A", "name_masked": "李*", "phone_last4": "9876", "needs": ""},
    ])
    at_stop(engine)
    engine.open_window(1, "007", ["D"])
    for _ in range(3):
        engine.issue("D")
    t = engine.check_in(code="123456")
    assert t.appointment_id == "ap-1" and t.number == "D004"
    # a due appointment is called before the three who waited longer
    assert engine.call_next(1).id == t.id
    with pytest.raises(QueueError) as e:
        engine.check_in(code="123456")
    assert e.value.code == "already_checked_in"
    with pytest.raises(QueueError) as e:
        engine.check_in(phone_last4="9876", prefix="A")
    assert e.value.code == "wrong_stop"
    with pytest.raises(QueueError) as e:
        engine.check_in(code="12345")
    assert e.value.code == "bad_code"
    ev = events(engine, "appointment.checked_in")
    assert len(ev) == 1 and "王" not in str(events(engine))  # no name leaves the bus
    # a newer appointments document keeps checked-in ones and replaces the rest
    assert engine.replace_appointments([]) == 0
    assert engine.ticket(t.id).appointment_id == "ap-1"


def test_ratings(engine):
    at_stop(engine)
    engine.open_window(1, "007", ["A"])
    t = engine.issue("A")
    with pytest.raises(QueueError) as e:
        engine.rate(t.number, 5)
    assert e.value.code == "not_served"
    engine.call_next(1)
    engine.complete(1, "A01", "completed")
    with pytest.raises(QueueError) as e:
        engine.rate(t.number, 2)
    assert e.value.code == "reason_required"
    with pytest.raises(QueueError) as e:
        engine.rate(t.number, 1, ["rude!"])
    assert e.value.code == "bad_reason"
    r = engine.rate(t.number, 1, ["efficiency", "attitude"])
    assert r["level"] == 1 and r["reasons"] == ["attitude", "efficiency"] and r["crew"] == "007"
    with pytest.raises(QueueError) as e:
        engine.rate(t.number, 5)
    assert e.value.code == "already_rated"
    assert len(events(engine, "rating")) == 1


def test_suggestions_are_pick_lists(engine):
    at_stop(engine)
    assert engine.suggest(["weekend", "more_stops"])["topics"] == ["more_stops", "weekend"]
    with pytest.raises(QueueError):
        engine.suggest(["please add free text"])
    with pytest.raises(QueueError):
        engine.suggest([])


def test_snapshot_is_exactly_the_protocol_payload(engine):
    snap = engine.snapshot()
    assert set(snap.to_dict()) == PROTOCOL_QUEUE_KEYS and snap.stop is None and snap.accepting is False
    at_stop(engine)
    engine.open_window(1, "007", ["A"])
    engine.issue("A")
    engine.issue("A")
    engine.issue("D")
    engine.call_next(1)
    snap = engine.snapshot()
    assert set(snap.to_dict()) == PROTOCOL_QUEUE_KEYS
    assert snap == QueueSnapshot(ts=snap.ts, stop="nanma-xincun", waiting=2, by_service={"A": 1, "D": 1}, serving=1,
                                 windows_open=1, issued_today=3, served_today=0, accepting=True)


def test_complete_validates_item_outcome_and_ems(engine):
    at_stop(engine)
    engine.open_window(1, "007", ["A"])
    engine.issue("A")
    engine.call_next(1)
    for kwargs, code in [({"item": "Z99", "outcome": "completed"}, "unknown_item"),
                         ({"item": "A01", "outcome": "magic"}, "unknown_outcome"),
                         ({"item": "A01", "outcome": "completed", "ems_no": "12"}, "bad_ems")]:
        with pytest.raises(QueueError) as e:
            engine.complete(1, **kwargs)
        assert e.value.code == code
    assert engine.serving_ticket(1).state == "called"  # nothing half-done
    # the record may name an item of another service (the matter turned out different)
    assert engine.complete(1, "F01", "referred").state == "served"


def test_catalog_document_from_headquarters_replaces_shipped_list(engine, clock):
    import json
    item = {"code": "W01", "name_zh": "咨询", "name_en": "Advice", "minutes": 5}
    doc = {"version": 3, "services": [{"code": "W", "name_zh": "垃圾分类专场", "name_en": "Waste sorting session",
                                       "items": [item]}]}
    with engine.db.write() as conn:
        conn.execute("INSERT INTO documents(kind, version, body, applied_at) VALUES ('catalog', 3, ?, ?)",
                     (json.dumps(doc), clock()))
    engine.arrive_adhoc("广场")
    assert engine.issue("W").number == "W001"
    with pytest.raises(QueueError):
        engine.issue("A")


def test_departure_can_be_taken_back(engine):
    at_stop(engine)
    engine.issue("A")
    with pytest.raises(QueueError):
        engine.depart("gps")
    assert engine.snapshot().accepting is False
    assert engine.stay().closing is False
    assert engine.issue("A").number == "A002"


def test_passing_a_stop_outside_its_planned_window_is_an_unplanned_visit(engine, clock):
    clock.advance(-2 * 3600 - 5 * 60)  # 07:00 at the depot; its planned visit is 17:00-17:30
    v = engine.arrive("depot", "gps")
    assert v.adhoc and v.planned_depart is None and v.stop_name == "县政务服务中心"
    assert events(engine, "stop.arrived")[0]["late_s"] is None


def test_crew_can_override_the_cutoff_and_it_is_recorded(engine, clock):
    at_stop(engine)
    clock.advance(2 * 3600 + 10 * 60)
    with pytest.raises(QueueError):
        engine.issue("A")
    t = engine.issue("A", override_cutoff=True)
    assert t.number == "A001"
    assert events(engine, "ticket.issued")[0]["cutoff_override"] is True
