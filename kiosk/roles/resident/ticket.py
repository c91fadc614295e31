"""The number, shown large, while the ticket prints; if printing fails the number stays up."""
from __future__ import annotations

from typing import Any

from kivy.clock import Clock

from kiosk.widgets import KioskScreen, load_kv
from ztc.domain.models import Ticket

load_kv(__file__)

SHOW_S = 20.0  # then back home (the idle timeout would, too, but a queue forms behind)


class TicketScreen(KioskScreen):
    def print_now(self, ticket: Ticket) -> None:
        self.print_state = "printing"
        self._show(ticket)
        printing = self.app.services["printing"]
        self.app.bridge.call(printing.print_ticket, ticket, on_done=self._printed, on_error=self._failed)

    def _show(self, ticket: Ticket) -> None:
        self.ids.number.text = ticket.number
        ahead = ticket.ahead
        self.ids.ahead.text = self.t("confirm_ahead", n=ahead) if ahead is not None else ""
        self.ids.status.text = self.t("printing")
        self.ids.status.color = (1, 1, 1, 1)

    def refresh(self) -> None:
        ticket = self.app.flow.get("ticket")
        if ticket is None:
            return
        self.ids.number.text = ticket.number
        status = getattr(self, "print_state", "printing")
        self.ids.status.text = (self.t("printing") if status == "printing" else self.t("printed") if status == "ok"
                                else self.t("print_failed", number=ticket.number))

    def _printed(self, _count: int) -> None:
        self.print_state = "ok"
        self.ids.status.text = self.t("printed")
        self.ids.status.color = (0.6, 1, 0.6, 1)
        self._schedule_home()

    def _failed(self, _error: Exception) -> None:
        self.print_state = "failed"
        ticket = self.app.flow.get("ticket")
        number = ticket.number if ticket is not None else self.ids.number.text
        self.ids.status.text = self.t("print_failed", number=number)
        self.ids.status.color = (1, 0.85, 0.2, 1)
        self._schedule_home()

    def _schedule_home(self) -> None:
        Clock.unschedule(self._home)
        Clock.schedule_once(self._home, SHOW_S)

    def _home(self, _dt: float) -> None:
        if self.manager is not None and self.manager.current == self.name:
            self.app.go_home()

    def on_leave(self, *args: Any) -> None:
        Clock.unschedule(self._home)
