"""Which class drives which configured device, and every device's health in one call.

Two explicit tables, as Moonraker does it: ``TICKET_PRINTER_TRANSPORTS`` maps the configured
``devices.ticket_printer.kind`` to a transport class, and ``PROVIDERS`` lists one status probe per
device. A probe that fails reports that device as broken; it never stops the others. Other
devices are added to ``PROVIDERS`` with one line each.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from drivers.a4_printer import A4Printer
from drivers.camera.probe import camera_presence
from drivers.ticket_printer.transports import (
    FileTransport,
    NetworkTransport,
    SerialTransport,
    Transport,
    UsbTransport,
)
from drivers.ticket_printer.worker import TicketPrinter
from ztc.settings import Settings

log = logging.getLogger(__name__)

TICKET_PRINTER_TRANSPORTS: dict[str, type[UsbTransport | SerialTransport | NetworkTransport | FileTransport]] = {
    "usb": UsbTransport,
    "serial": SerialTransport,
    "network": NetworkTransport,
    "file": FileTransport,
    "sim": NetworkTransport,   # the virtual printer listens like a network printer
}


def ticket_transport(cfg: Any) -> Transport:
    """The (unopened) transport for a ``devices.ticket_printer`` section."""
    return TICKET_PRINTER_TRANSPORTS[cfg.kind].from_settings(cfg)


def open_ticket_printer(settings: Settings, **kwargs: Any) -> TicketPrinter:
    """A TicketPrinter for the configured device. Nothing is opened until the first job or query."""
    cfg = settings.devices.ticket_printer
    io_timeout = getattr(cfg, "timeout_s", None) or getattr(cfg, "timeout_ms", 5000) / 1000
    options: dict[str, Any] = {"paper_width_mm": cfg.paper_width_mm, "text_mode": cfg.text_mode,
                               "retries": cfg.retries, "status_timeout_s": cfg.status_timeout_s,
                               "io_timeout_s": io_timeout}
    options.update(kwargs)
    return TicketPrinter(ticket_transport(cfg), **options)


def ticket_printer_status(settings: Settings) -> dict[str, Any]:
    """Probe the ticket printer once (opens, asks DLE EOT, closes)."""
    printer = open_ticket_printer(settings, poll_interval_s=None)
    try:
        cfg = settings.devices.ticket_printer
        return printer.refresh_status(timeout=3 * cfg.status_timeout_s + 10)
    finally:
        printer.close()


def a4_printer_status(settings: Settings) -> dict[str, Any]:
    """Ask CUPS about the A4 queue (ipptool; never opens the printer itself)."""
    return A4Printer.from_settings(settings.devices.a4_printer).get_status()


def camera_status(settings: Settings) -> dict[str, Any]:
    """Is the document camera plugged in (checked without opening it: the crew role streams it)."""
    return camera_presence(settings.devices.camera)


Provider = tuple[str, Callable[[Settings], dict[str, Any]]]
PROVIDERS: list[Provider] = [
    ("ticket_printer", ticket_printer_status),
    ("a4_printer", a4_printer_status),
    ("camera", camera_status),
]


def device_statuses(settings: Settings) -> dict[str, dict[str, Any]]:
    """``{name: {"state", "detail", …}}`` for every device, as PROTOCOL.md ``health.devices`` wants."""
    out: dict[str, dict[str, Any]] = {}
    for name, probe in PROVIDERS:
        try:
            out[name] = probe(settings)
        except Exception as e:
            log.exception("status of %s", name)
            out[name] = {"state": "error", "detail": f"状态检查失败 / status check failed: {e}"}
    return out
