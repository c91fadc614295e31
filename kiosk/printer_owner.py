"""The resident role owns the ticket printer: it publishes its health and carries out print requests.

Why here: one owner per device (ARCHITECTURE.md). The resident kiosk is the only process that opens
the ticket printer; the agent, the crew console and ``ztc devices`` read the printer's state from
the bus database (``ztc.db.device_health``) and ask for prints there (``ztc.db.print_requests``).
Everything runs on this class's own thread and its own database connection, never the UI thread:
a status query or a print can take seconds, and the resident screen must not wait for the crew's.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any

from kiosk.printing import PrintFailed, PrintFn, TicketPrinting
from ztc.db import device_health, open_database, print_requests
from ztc.domain.alerts import CrewAlerts
from ztc.domain.engine import QueueEngine
from ztc.domain.models import Ticket
from ztc.settings import Settings

log = logging.getLogger(__name__)

PROBE_S = 3.0        # ask the printer this often (the agent used to open it every 2 s for the same)
UNREACHABLE_PROBE_S = 10.0  # … and this often while it cannot be reached (each try may wait for a timeout)
POLL_S = 0.25        # look for print requests this often (a read; a write only when there is one)
NAME = "ticket_printer"
NO_PRINTER = "没有可用的号票打印机 / no ticket printer available"
# What may change without being news (published with the next heartbeat, not at once).
_VOLATILE = ("checked_at", "jobs_pending")


def print_sample(printer: PrintFn | None, settings: Settings) -> str:
    """``ztc devices test-print ticket``'s sample, marked as a copy (副本) so nobody takes it for a real
    number; returns its number, raises PrintFailed when it did not print."""
    from dataclasses import replace

    from drivers.ticket_printer.content import TicketContent
    from kiosk.printing import DriverPrinter

    driver = getattr(printer, "printer", None)
    if driver is None:
        raise PrintFailed(NO_PRINTER)
    content = replace(TicketContent.sample(settings), copy=True)
    job = driver.submit(content)
    if not job.wait(DriverPrinter.JOB_TIMEOUT_S):
        raise PrintFailed("打印超时 / the printer did not finish in time")
    if job.state != "done":
        raise PrintFailed(job.error or "打印失败 / not printed")
    return content.number


def reprint_copy(engine: QueueEngine, alerts: CrewAlerts, printer: PrintFn | None, ticket: Ticket) -> str:
    """Print the ticket marked as a copy, count the print, clear its print-failure alerts."""
    if printer is None:
        raise PrintFailed(NO_PRINTER)
    printer(ticket, True)
    engine.mark_printed(ticket.id)
    for alert in alerts.open_alerts():
        if alert["ticket_id"] == ticket.id:
            alerts.dismiss(alert["id"])
    return ticket.number


class PrinterOwner:
    """A thread: the ticket printer's health into ``device_health``, print requests carried out."""

    def __init__(self, settings: Settings, printer: PrintFn | None, probe_s: float = PROBE_S,
                 poll_s: float = POLL_S, owner: str | None = None):
        self.settings = settings
        self.printer = printer
        self.probe_s = probe_s
        self.poll_s = poll_s
        self.owner = owner or f"resident pid {os.getpid()}"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._published: dict[str, Any] | None = None
        self._published_at = -1e18
        self.published = 0     # rows written (tests and the log)
        self.carried_out = 0   # requests finished (done or failed)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="ticket-printer-owner", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=15)

    # --- the thread ------------------------------------------------------------------------------

    def _run(self) -> None:
        try:
            db = open_database(self.settings.db_path)
        except Exception:
            log.exception("ticket printer owner: database not available; no health, no print requests")
            return
        engine = QueueEngine(db, self.settings)
        alerts = CrewAlerts(db)
        printing = TicketPrinting(engine, alerts, self.printer)
        try:
            if print_requests.fail_interrupted(db):
                log.warning("print requests interrupted by the last restart marked failed")
            print_requests.purge(db)
        except Exception:
            log.exception("ticket printer owner: cannot tidy old print requests")
        next_probe = 0.0
        while not self._stop.is_set():
            try:
                if time.monotonic() >= next_probe:
                    reached = self._probe_and_publish(db)
                    next_probe = time.monotonic() + (self.probe_s if reached else max(self.probe_s,
                                                                                       UNREACHABLE_PROBE_S))
                req = print_requests.claim(db)
                if req is not None:
                    self._carry_out(db, engine, alerts, printing, req)
                    self._probe_and_publish(db)   # paper out after that print is news now
                    continue
            except Exception:   # a locked database or a broken printer must not end the owner
                log.exception("ticket printer owner: step failed; trying again")
            self._stop.wait(self.poll_s)
        db.close()

    def status(self) -> dict[str, Any] | None:
        """Ask the printer now (through its own worker thread); None when it cannot say (a test's
        stand-in printer without a driver)."""
        if self.printer is None:
            return {"state": "error", "detail": NO_PRINTER}
        driver = getattr(self.printer, "printer", None)
        if driver is None:
            return None
        cfg = self.settings.devices.ticket_printer
        return dict(driver.refresh_status(timeout=3 * cfg.status_timeout_s + 2))

    def _probe_and_publish(self, db: Any) -> bool:
        """Publish the printer's state when it changed or the heartbeat is due; False while the
        printer cannot be reached (the next probe waits longer)."""
        status = self.status()
        if status is None:
            return True
        key = {k: v for k, v in status.items() if k not in _VOLATILE}
        now = time.monotonic()
        if key != self._published or now - self._published_at >= device_health.HEARTBEAT_S:
            device_health.publish(db, NAME, status, self.owner)
            if key != self._published:
                log.info("ticket printer: %s %s", status.get("state"), status.get("detail"))
            self._published, self._published_at = key, now
            self.published += 1
        return status.get("connected") is not False

    def _carry_out(self, db: Any, engine: QueueEngine, alerts: CrewAlerts, printing: TicketPrinting,
                   req: print_requests.PrintRequest) -> None:
        log.info("print request %d (%s, ticket %s, by %s)", req.id, req.kind, req.ticket_id, req.requested_by)
        try:
            if req.kind == "test":
                done = print_sample(self.printer, self.settings)
            elif req.ticket_id is None:
                raise PrintFailed("请求缺少号票 / the request names no ticket")
            elif req.kind == "reprint":
                done = reprint_copy(engine, alerts, self.printer, engine.ticket(req.ticket_id))
            else:   # override: the original of a number the crew issued past the cut-off
                ticket = engine.ticket(req.ticket_id)
                printing.print_ticket(ticket)
                done = ticket.number
        except Exception as e:
            detail = str(e) or type(e).__name__
            log.warning("print request %d failed: %s", req.id, detail)
            print_requests.finish(db, req.id, False, detail)
        else:
            print_requests.finish(db, req.id, True, done)
        self.carried_out += 1
