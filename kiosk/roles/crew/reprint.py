"""Reprint a ticket as a copy (副本): the one whose print failed, or one a resident lost.

Why a picker and not "reprint the last failure": the crew must see which number they are about to
print. Tickets whose print failed come first (marked), then every ticket still open today, oldest
first; a reprint clears that ticket's print-failure alerts. The resident kiosk, the ticket printer's
only owner, prints it (a print request, ``print_request.py``); reading and waiting run on a worker.
"""
from __future__ import annotations

from typing import Any

from kiosk.widgets import KioskScreen, load_kv
from ztc.domain.models import Ticket

load_kv(__file__)

MAX_SHOWN = 15


def reprint_choices(engine: Any, alerts: Any) -> list[tuple[Ticket, bool]]:
    """(ticket, print failed) pairs: failed prints first, then the open tickets; each once."""
    failed_ids = [a["ticket_id"] for a in alerts.open_alerts() if a["kind"] == "print_failed"]
    open_tickets = engine.waiting()
    by_id = {t.id: t for t in open_tickets}
    out: list[tuple[Ticket, bool]] = []
    for ticket_id in dict.fromkeys(reversed(failed_ids)):   # newest failure first
        ticket = by_id.get(ticket_id) or engine.ticket(ticket_id)
        out.append((ticket, True))
    shown = {t.id for t, _ in out}
    out += [(t, False) for t in open_tickets if t.id not in shown]
    return out[:MAX_SHOWN]


class ReprintScreen(KioskScreen):
    choices: tuple[tuple[Ticket, bool], ...] = ()

    def on_pre_enter(self, *args: Any) -> None:
        self.choices = ()
        self.ids.message.text = self.t("working")
        super().on_pre_enter(*args)
        self.app.bridge.call(reprint_choices, self.app.engine, self.app.services["alerts"], changes=False,
                             on_done=self._listed, on_error=self._error)

    def _listed(self, choices: list[tuple[Ticket, bool]]) -> None:
        self.choices = tuple(choices)
        self.ids.message.text = "" if choices else self.t("reprint_none")
        self.refresh()

    def refresh(self) -> None:
        self.ids.title.text = self.t("reprint_pick")
        buttons = []
        for ticket, failed in self.choices:
            text = ticket.number + (f"  {self.t('reprint_failed_mark')}" if failed else "")
            buttons.append(self.button(text, lambda t=ticket: self.reprint(t), role="danger" if failed else "choice"))
        self.fill(self.ids.choices, buttons)

    def reprint(self, ticket: Ticket) -> None:
        from kiosk.roles.crew.print_request import ask_owner, progress

        self.ids.message.text = self.t("print_waiting")
        self.app.bridge.call(ask_owner, self.app.engine.db, "reprint", ticket.id, str(self.app.flow.get("crew", "")),
                             progress(self), on_done=self._printed, on_error=self._error)

    def _printed(self, number: str) -> None:
        self.ids.message.text = "✓ " + self.t("reprinted", number=number)
        self.app.bridge.call(reprint_choices, self.app.engine, self.app.services["alerts"], changes=False,
                             on_done=self._relisted, on_error=self._error)

    def _relisted(self, choices: list[tuple[Ticket, bool]]) -> None:
        self.choices = tuple(choices)
        self.refresh()
