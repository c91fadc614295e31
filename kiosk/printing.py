"""Ticket printing for the resident role: a thin adapter over the ticket-printer driver.

Why an adapter: the screens only know "print this engine ticket, tell me if it failed". The real
printer (``drivers.ticket_printer``) is plugged in by ``default_printer``; tests and development
inject any callable. A failure raises ``PrintFailed`` after an alert for the crew console has been
written, so the resident screen can keep the number up and say "please tell the crew".
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from ztc.domain.alerts import CrewAlerts
from ztc.domain.engine import QueueEngine
from ztc.domain.models import Ticket
from ztc.settings import Settings

log = logging.getLogger(__name__)

PrintFn = Callable[[Ticket, bool], None]  # (engine ticket, copy) → None, raises when not printed


class PrintFailed(Exception):
    """The ticket was not printed; ``detail`` says why (paper out, printer unplugged…)."""


class TicketPrinting:
    def __init__(self, engine: QueueEngine, alerts: CrewAlerts, printer: PrintFn | None):
        self.engine = engine
        self.alerts = alerts
        self.printer = printer

    def print_ticket(self, ticket: Ticket, copy: bool = False) -> int:
        """Print on this (worker) thread; returns how often the ticket has now been printed."""
        try:
            if self.printer is None:
                raise PrintFailed("没有配置号票打印机 / no ticket printer configured")
            self.printer(ticket, copy)
        except Exception as e:
            detail = str(e) or type(e).__name__
            log.warning("ticket %s not printed: %s", ticket.number, detail)
            self.alerts.raise_alert("print_failed", str(ticket.number), str(ticket.id), detail)
            try:  # unmet demand for headquarters (paper out is what residents meet most)
                self.engine.refused("print_failed", ticket.prefix, ticket.item, detail)
            except Exception:
                log.exception("refusal of ticket %s not recorded", ticket.number)
            raise PrintFailed(detail) from e
        return self.engine.mark_printed(ticket.id)


class DriverPrinter:
    """The configured ticket printer (``drivers.registry``); the device opens on the first job."""

    JOB_TIMEOUT_S = 30.0  # a job not finished by then counts as failed (the resident is waiting)

    def __init__(self, settings: Settings):
        from drivers.registry import open_ticket_printer

        self.settings = settings
        # A long-lived kiosk: raster tickets are drawn in a helper process, warmed now, so drawing
        # never holds the interpreter the UI thread needs (drivers/ticket_printer/render_process.py).
        self.printer = open_ticket_printer(settings, render_in_process=True)
        self.printer.warm_up()

    def __call__(self, ticket: Ticket, copy: bool) -> None:
        from drivers.ticket_printer import TicketContent

        job = self.printer.submit(TicketContent.from_ticket(ticket, self.settings, copy=copy))
        if not job.wait(self.JOB_TIMEOUT_S):
            raise PrintFailed("打印超时 / the printer did not finish in time")
        if job.state != "done":
            raise PrintFailed(job.error or "打印失败 / not printed")

    def status(self) -> dict[str, Any]:
        return self.printer.get_status()

    def close(self) -> None:
        self.printer.close()


def default_printer(settings: Settings) -> PrintFn | None:
    """The configured ticket printer; None (tickets shown on screen only) when it cannot be set up."""
    try:
        return DriverPrinter(settings)
    except Exception as e:  # a broken printer section must not stop the kiosk
        log.warning("ticket printer not available (%s); tickets will show on screen only", e)
        return None
