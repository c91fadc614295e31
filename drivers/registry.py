"""Which class drives which configured device, and every device's health in one call.

Two explicit tables, as Moonraker does it: ``TICKET_PRINTER_TRANSPORTS`` maps the configured
``devices.ticket_printer.kind`` to a transport class, and ``PROVIDERS`` lists one status probe per
device that can be asked without opening it. A probe that fails reports that device as broken; it
never stops the others. Other devices are added to ``PROVIDERS`` with one line each.

Devices with an owner (``OWNED``: the ticket printer, opened only by the resident kiosk) are never
opened here: their health is the owner's row in the bus database (``ztc.db.device_health``). The
direct probe stays for set-up without a kiosk (``ztc devices status --probe``).
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
from ztc.db import Database
from ztc.settings import Settings
from ztc.text import Text

log = logging.getLogger(__name__)

STATUS_READ_FAILED = Text("状态读取失败", "status read failed: {error}")
STATUS_CHECK_FAILED = Text("状态检查失败", "status check failed: {error}")

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
    """Probe the ticket printer once (opens, asks DLE EOT, closes): set-up only, when no resident
    kiosk owns it (``ztc devices status --probe``); everyone else reads ``owned_statuses``."""
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
# The owner publishes these (kiosk/printer_owner.py); the direct probe is for set-up without it.
OWNED: dict[str, Callable[[Settings], dict[str, Any]]] = {"ticket_printer": ticket_printer_status}
PROVIDERS: list[Provider] = [
    ("a4_printer", a4_printer_status),
    ("camera", camera_status),
]


def owned_statuses(settings: Settings, db: Database | None = None) -> dict[str, dict[str, Any]]:
    """The owned devices as their owner last published them (stale: says the owner is not running)."""
    from ztc.db import device_health, open_database

    own = db if db is not None else open_database(settings.db_path)
    try:
        return device_health.read(own, tuple(OWNED))
    finally:
        if db is None:
            own.close()


def device_statuses(settings: Settings, db: Database | None = None,
                    probe_owned: bool = False) -> dict[str, dict[str, Any]]:
    """``{name: {"state", "detail", …}}`` for every device, as PROTOCOL.md ``health.devices`` wants.

    Owned devices come from the bus database (``db``, or the configured one); ``probe_owned`` opens
    them instead, which only set-up without a running resident kiosk may do."""
    out: dict[str, dict[str, Any]] = {}
    if probe_owned:
        probes: list[Provider] = [*OWNED.items(), *PROVIDERS]
    else:
        try:
            out.update(owned_statuses(settings, db))
        except Exception as e:
            log.exception("owned device health")
            failed = {"state": "error", "detail": str(STATUS_READ_FAILED.format(error=e))}
            out.update({name: dict(failed) for name in OWNED})
        probes = PROVIDERS
    for name, probe in probes:
        try:
            out[name] = probe(settings)
        except Exception as e:
            log.exception("status of %s", name)
            out[name] = {"state": "error", "detail": str(STATUS_CHECK_FAILED.format(error=e))}
    return out
