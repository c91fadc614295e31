"""Issue 14 §3–§4 on the bus: a 受理 record carries its provincial case; every refused request
(not offered, cut-off, daily cap, printer failure) is an outbox event with its stop and service."""
from __future__ import annotations

import datetime as dt

import pytest

from kiosk.printing import PrintFailed, TicketPrinting
from tests.core.conftest import events
from tests.support import make_settings
from ztc.db import open_database
from ztc.domain.alerts import CrewAlerts
from ztc.domain.engine import QueueEngine, QueueError


def served_accepted(engine: QueueEngine, **case: str | None) -> dict:
    engine.arrive("nanma-xincun", "gps")
    engine.open_window(1, "007", ["A"])
    engine.issue("A")
    engine.call_next(1)
    return engine.complete(1, "A01", "accepted", **case)


def test_accepted_record_carries_the_provincial_case(engine, clock):
    today = dt.datetime.fromtimestamp(clock(), engine.settings.tz).date()
    promised = (today + dt.timedelta(days=10)).isoformat()
    served_accepted(engine, case_no="sd-3703-2026-0001", department="县人社局", promised_date=promised)
    rec = events(engine, "ticket.served")[0]
    assert rec["outcome"] == "accepted"
    assert (rec["case_no"], rec["department"], rec["promised_date"]) == ("SD-3703-2026-0001", "县人社局", promised)


@pytest.mark.parametrize("case,code", [
    ({"case_no": "x", "department": "县人社局", "promised_date": "2099-01-01"}, "bad_case_no"),
    ({"case_no": "SD0001", "department": "", "promised_date": "2099-01-01"}, "bad_department"),
    ({"case_no": "SD0001", "department": "县人社局", "promised_date": "next week"}, "bad_promised_date"),
    ({"case_no": "SD0001", "department": "县人社局", "promised_date": "2000-01-01"}, "bad_promised_date"),
])
def test_a_bad_case_is_refused_and_nothing_is_recorded(engine, case, code):
    with pytest.raises(QueueError) as e:
        served_accepted(engine, **case)
    assert e.value.code == code
    assert events(engine, "ticket.served") == []
    assert engine.waiting()[0].state == "called"  # the ticket stays at the window, not lost


def test_only_accepted_carries_a_case(engine):
    engine.arrive("nanma-xincun", "gps")
    engine.open_window(1, "007", ["A"])
    engine.issue("A")
    engine.call_next(1)
    with pytest.raises(QueueError) as e:
        engine.complete(1, "A01", "completed", case_no="SD0001")
    assert e.value.code == "case_not_accepted"


def test_refusals_are_events_with_stop_and_service(tmp_path, clock):
    settings = make_settings(tmp_path, QUEUE__DAILY_CAPS="{B: 1}")
    engine = QueueEngine(open_database(settings.db_path), settings, clock)
    engine.arrive("nanma-xincun", "gps")
    with pytest.raises(QueueError):
        engine.issue("C")            # not offered at this stop
    engine.issue("B")
    with pytest.raises(QueueError):
        engine.issue("B")            # the daily cap
    clock.advance(2 * 3600 + 10 * 60)
    with pytest.raises(QueueError):
        engine.issue("A")            # after the cut-off
    refused = events(engine, "request.refused")
    assert [(r["reason"], r["service"], r["stop"]) for r in refused] == [
        ("not_offered", "C", "nanma-xincun"), ("cap_reached", "B", "nanma-xincun"), ("cutoff", "A", "nanma-xincun")]
    assert all(r["visit_id"] for r in refused)
    assert len(events(engine, "ticket.issued")) == 1  # a refused ticket leaves no ticket behind


def test_a_failed_ticket_print_is_recorded_as_unmet_demand(engine):
    engine.arrive("nanma-xincun", "gps")
    ticket = engine.issue("A")

    def out_of_paper(_t: dict, _copy: bool) -> None:
        raise OSError("缺纸 / paper out")

    with pytest.raises(PrintFailed):
        TicketPrinting(engine, CrewAlerts(engine.db, engine.clock), out_of_paper).print_ticket(ticket)
    r = events(engine, "request.refused")
    assert [(x["reason"], x["service"], x["detail"]) for x in r] == [("print_failed", "A", "缺纸 / paper out")]
