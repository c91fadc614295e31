"""Completing a ticket: the service record (item, outcome, EMS number by keypad, page counts).

A 受理 (accepted) outcome needs the provincial platform's case number (办件编号, on the keypad, which
then types the case number instead of an EMS number), the department and the promised date (pick-
lists): the matter was submitted online on the spot, and headquarters follows it to 办结."""
from __future__ import annotations

import datetime as dt
from typing import Any

from kivy.properties import BooleanProperty

from kiosk.i18n import name_of, pick
from kiosk.widgets import KioskScreen, load_kv
from ztc.domain.models import Ticket
from ztc.domain.vocabulary import DEPARTMENTS, OUTCOMES, PROMISE_DAYS

load_kv(__file__)


class RecordScreen(KioskScreen):
    accepted = BooleanProperty(False)  # the keypad types the case number (受理), not an EMS number

    def on_pre_enter(self, *args: Any) -> None:
        ticket = self.app.flow.get("ticket")
        self.record = {"item": ticket.item if ticket is not None else None, "outcome": "completed",
                       "department": None, "days": None}
        self.accepted = False
        self.ids.ems.value = ""
        self.ids.message.text = ""
        super().on_pre_enter(*args)

    def refresh(self) -> None:
        ticket, state = self.app.flow.get("ticket"), self.app.state
        if ticket is None or state is None:
            return
        self.ids.title.text = f"{ticket.number} · " + self.t("record_pages", s=ticket.pages_scanned,
                                                               p=ticket.pages_printed)
        cat = next((c for c in state.categories if c.code == ticket.prefix), None)
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
        case: list[Any] = []
        if self.accepted:
            case.append(self.label(self.t("record_department"), 20))
            for key, pair in DEPARTMENTS.items():
                b = self.button(pick(pair, self.app.lang), lambda k=key: self._set("department", k), role="choice")
                b.chosen = self.record["department"] == key
                case.append(b)
            case.append(self.label(self.t("record_promised"), 20))
            for days in PROMISE_DAYS:
                b = self.button(str(days), lambda d=days: self._set("days", d), role="choice")
                b.chosen = self.record["days"] == days
                case.append(b)
        self.fill(self.ids.case_choices, case)
        self.ids.save_button.disabled = not self.record["item"] or (
            self.accepted and not (self.record["department"] and self.record["days"]))

    def _set(self, key: str, value: Any) -> None:
        self.record[key] = value
        if key == "outcome":
            self.accepted = value == "accepted"
            self.ids.ems.max_len = 40 if self.accepted else 20
            self.ids.ems.value = ""
        self.refresh()

    def save(self) -> None:
        ticket = self.app.flow["ticket"]
        typed = self.ids.ems.value or None
        case: dict[str, Any] = {}
        if self.accepted:
            today = dt.datetime.fromtimestamp(self.app.clock(), self.app.settings.tz).date()
            case = {"case_no": typed, "department": DEPARTMENTS[self.record["department"]].zh,
                    "promised_date": (today + dt.timedelta(days=self.record["days"])).isoformat()}
            typed = None
        self.app.bridge.call(self.app.engine.complete, self.app.flow["window"], self.record["item"],
                             self.record["outcome"], typed, on_done=lambda _t: self._saved(ticket),
                             on_error=self._error, **case)

    def _saved(self, ticket: Ticket) -> None:
        # The console is turned round: the resident rates the service now.
        self.app.sm.get_screen("rating").start(ticket.number, return_to="console")
