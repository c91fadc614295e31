"""The resident role's ticket-printer owner (kiosk/printer_owner.py) with the real driver and the
virtual printer: it publishes the printer's state on change and on a heartbeat, and carries out
print requests with the crew's old semantics (copies, alerts, mark_printed); late requests never print."""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from kiosk.printer_owner import PrinterOwner
from kiosk.printing import DriverPrinter
from ztc.db import device_health, open_database, print_requests
from ztc.domain.alerts import CrewAlerts


def until(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"not reached within {timeout} s")


@pytest.fixture
def start_owner(settings: Any) -> Iterator[Callable[[], PrinterOwner]]:
    started: list[tuple[PrinterOwner, DriverPrinter]] = []

    def start() -> PrinterOwner:
        printer = DriverPrinter(settings)
        owner = PrinterOwner(settings, printer, probe_s=0.3, poll_s=0.05, owner="test")
        owner.start()
        started.append((owner, printer))
        return owner

    yield start
    for owner, printer in started:
        owner.stop()
        printer.close()


def printer_state(db: Any) -> dict[str, Any]:
    return device_health.read(db)["ticket_printer"]


def finished(db: Any, request_id: int) -> print_requests.PrintRequest | None:
    req = print_requests.get(db, request_id)
    return req if req is not None and req.final else None


def test_state_is_published_on_change_and_kept_fresh(settings, engine, virtual_printer, start_owner, monkeypatch):
    monkeypatch.setattr(device_health, "HEARTBEAT_S", 0.5)
    db = engine.db
    assert printer_state(db)["state"] == "offline"              # before the owner runs: stale, said in words
    owner = start_owner()
    assert until(lambda: printer_state(db)["state"] == "ok")
    virtual_printer.faults.paper = "out"
    changed_at = time.monotonic()
    until(lambda: printer_state(db)["state"] == "error")
    assert time.monotonic() - changed_at < 3 and "缺纸" in printer_state(db)["detail"]
    assert printer_state(db)["paper"] == "out"                   # the driver's figures travel with it
    with db.read() as conn:
        first = conn.execute("SELECT updated_at FROM device_health").fetchone()[0]

    def updated_at() -> float:
        with db.read() as conn:
            return conn.execute("SELECT updated_at FROM device_health").fetchone()[0]

    until(lambda: updated_at() > first)
    assert owner.published >= 3                                  # ok, paper out, and a heartbeat since


def test_reprint_and_override_keep_the_crews_semantics(settings, engine, virtual_printer, start_owner):
    engine.arrive("nanma-xincun")
    ticket = engine.issue("F", None, override_cutoff=True)
    alerts = CrewAlerts(engine.db)
    start_owner()
    until(lambda: printer_state(engine.db)["state"] == "ok")
    virtual_printer.faults.paper = "out"
    until(lambda: printer_state(engine.db)["state"] == "error")
    rid = print_requests.request(engine.db, "override", ticket.id, "7")
    failed = until(lambda: finished(engine.db, rid), timeout=30)
    assert failed.state == "failed" and "缺纸" in failed.detail   # the reason, as the driver said it
    assert [a["kind"] for a in alerts.open_alerts()] == ["print_failed"]   # the crew alert, as for any ticket
    assert engine.ticket(ticket.id).printed == 0

    virtual_printer.faults.paper = "ok"
    until(lambda: printer_state(engine.db)["state"] == "ok")
    rid = print_requests.request(engine.db, "reprint", ticket.id, "7")
    done = until(lambda: finished(engine.db, rid), timeout=30)
    assert done.state == "done" and done.detail == ticket.number
    [paper] = virtual_printer.wait_for_tickets(1)
    assert ticket.number in paper.text() and "副本" in paper.text()
    assert engine.ticket(ticket.id).printed == 1 and alerts.open_alerts() == []


def test_late_and_interrupted_requests_never_print(settings, engine, virtual_printer, start_owner):
    db = open_database(settings.db_path)
    late = print_requests.request(db, "test", None, "7")         # made while no resident kiosk ran…
    with db.write() as conn:                                      # …61 s ago on the boot clock
        conn.execute("UPDATE print_requests SET uptime_s = uptime_s - ? WHERE id = ?", (print_requests.EXPIRE_S + 1,
                                                                                        late))
    interrupted = print_requests.request(db, "test")
    with db.write() as conn:                                      # claimed by a resident kiosk that then died
        conn.execute("UPDATE print_requests SET state = 'printing' WHERE id = ?", (interrupted,))
    start_owner()
    fresh = print_requests.request(db, "test")
    assert until(lambda: finished(db, fresh), timeout=30).state == "done"
    assert print_requests.get(db, late).state == "expired"
    assert print_requests.get(db, interrupted).state == "failed"
    time.sleep(0.5)
    assert len(virtual_printer.tickets) == 1                     # the fresh one only
