"""Completing a ticket: the service record (item, outcome, EMS number by keypad, page counts)."""
from __future__ import annotations

from typing import Any

from kiosk.i18n import name_of, pick
from kiosk.widgets import KioskScreen, load_kv
from ztc.domain.vocabulary import OUTCOMES

load_kv(__file__)


class RecordScreen(KioskScreen):
    def on_pre_enter(self, *args: Any) -> None:
        ticket = self.app.flow.get("ticket") or {}
        self.record = {"item": ticket.get("item"), "outcome": "completed"}
        self.ids.ems.value = ""
        self.ids.message.text = ""
        super().on_pre_enter(*args)

    def refresh(self) -> None:
        ticket, state = self.app.flow.get("ticket"), self.app.state
        if ticket is None or state is None:
            return
        self.ids.title.text = f"{ticket['number']} · " + self.t("record_pages", s=ticket.get("pages_scanned", 0),
                                                                 p=ticket.get("pages_printed", 0))
        cat = next((c for c in state.categories if c.code == ticket["prefix"]), None)
        items = []
        for item in cat.items if cat else ():
            b = self.button(name_of(item, self.app.lang), lambda c=item.code: self._set("item", c), role="choice")
            b.chosen = self.record["item"] == item.code
            items.append(b)
        self.fill(self.ids.item_choices, items)
        outcomes = []
        for key, pair in OUTCOMES.items():
            b = self.button(pick(pair, self.app.lang), lambda k=key: self._set("outcome", k), role="choice")
            b.chosen = self.record["outcome"] == key
            outcomes.append(b)
        self.fill(self.ids.outcomes, outcomes)
        self.ids.save_button.disabled = not self.record["item"]

    def _set(self, key: str, value: str) -> None:
        self.record[key] = value
        self.refresh()

    def save(self) -> None:
        ticket = self.app.flow["ticket"]
        ems = self.ids.ems.value or None
        self.app.bridge.call(self.app.engine.complete, self.app.flow["window"], self.record["item"],
                             self.record["outcome"], ems, on_done=lambda _t: self._saved(ticket), on_error=self._error)

    def _saved(self, ticket: dict[str, Any]) -> None:
        # The console is turned round: the resident rates the service now.
        self.app.sm.get_screen("rating").start(ticket["number"], return_to="console")
