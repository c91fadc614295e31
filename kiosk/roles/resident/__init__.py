"""Resident role: the touchscreen at the door (take a number, check in, rate, guide, suggestions)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kiosk.printing import TicketPrinting, default_printer
from ztc.domain.alerts import CrewAlerts

if TYPE_CHECKING:
    from ztc.settings import Settings


def idle_timeout_s(settings: Settings) -> float:
    """A resident who walks away leaves the next one a clean home screen."""
    return settings.kiosk.resident_idle_s


def screens(app: Any) -> list[Any]:
    from kiosk.roles.resident.checkin import CheckinScreen
    from kiosk.roles.resident.confirm import ConfirmScreen
    from kiosk.roles.resident.guide import GuideScreen
    from kiosk.roles.resident.home import HomeScreen
    from kiosk.roles.resident.item import ItemScreen
    from kiosk.roles.resident.message import MessageScreen
    from kiosk.roles.resident.rate import RateScreen
    from kiosk.roles.resident.service import ServiceScreen
    from kiosk.roles.resident.suggest import SuggestScreen
    from kiosk.roles.resident.ticket import TicketScreen

    if "printing" not in app.services:
        if "printer" not in app.services:
            app.services["printer"] = default_printer(app.settings)
        printer = app.services["printer"]
        app.services["printing"] = TicketPrinting(app.engine, CrewAlerts(app.engine.db, app.clock), printer)
    if "printer_owner" not in app.services:
        # The only process that opens the ticket printer: it publishes its health and carries out the
        # crew's print requests (kiosk/printer_owner.py). First in services: stopped before the printer closes.
        from kiosk.printer_owner import PrinterOwner

        printer = app.services.get("printer", getattr(app.services.get("printing"), "printer", None))
        owner = PrinterOwner(app.settings, printer)
        app.services = {"printer_owner": owner, **app.services}
        owner.start()
    return [HomeScreen(name="home"), ServiceScreen(name="service"), ItemScreen(name="item"),
            ConfirmScreen(name="confirm"), TicketScreen(name="ticket"), MessageScreen(name="message"),
            CheckinScreen(name="checkin"), RateScreen(name="rate"), GuideScreen(name="guide"),
            SuggestScreen(name="suggest")]
