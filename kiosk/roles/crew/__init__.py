"""Crew role: the console the crew operate (log-in, window, queue, record, rating, devices, stop)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ztc.domain.alerts import CrewAlerts
from ztc.domain.crew import CrewAccounts

if TYPE_CHECKING:
    from ztc.settings import Settings


def idle_timeout_s(settings: Settings) -> float:
    """Automatic log-out after this long without a touch."""
    return settings.kiosk.crew_logout_s


def screens(app: Any) -> list[Any]:
    from kiosk.roles.crew.camera import CameraScreen
    from kiosk.roles.crew.console import ConsoleScreen
    from kiosk.roles.crew.devices import DevicesScreen
    from kiosk.roles.crew.homevisits import HomeVisitsScreen
    from kiosk.roles.crew.login import LoginScreen
    from kiosk.roles.crew.override import OverrideScreen
    from kiosk.roles.crew.rating import CrewRatingScreen
    from kiosk.roles.crew.record import RecordScreen
    from kiosk.roles.crew.reprint import ReprintScreen
    from kiosk.roles.crew.summary import SummaryScreen
    from kiosk.roles.crew.transfer import TransferScreen
    from kiosk.roles.crew.visit import VisitScreen
    from kiosk.roles.crew.window import WindowScreen

    k = app.settings.kiosk
    app.services.setdefault("accounts", CrewAccounts(app.engine.db, app.clock, max_failures=k.login_failures,
                                                     lockout_s=k.lockout_s))
    app.services.setdefault("alerts", CrewAlerts(app.engine.db, app.clock))
    return [LoginScreen(name="login"), WindowScreen(name="window"), ConsoleScreen(name="console"),
            RecordScreen(name="record"), CrewRatingScreen(name="rating"), TransferScreen(name="transfer"),
            DevicesScreen(name="devices"), CameraScreen(name="camera"), VisitScreen(name="visit"),
            SummaryScreen(name="summary"), OverrideScreen(name="override"), ReprintScreen(name="reprint"),
            HomeVisitsScreen(name="homevisits")]
