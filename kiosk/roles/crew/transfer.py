"""Transfer the window's ticket to another service (it keeps its place in time)."""
from __future__ import annotations

from kiosk.i18n import name_of
from kiosk.widgets import KioskScreen, load_kv

load_kv(__file__)


class TransferScreen(KioskScreen):
    def refresh(self) -> None:
        ticket, state = self.app.flow.get("ticket"), self.app.state
        if ticket is None or state is None:
            return
        self.ids.title.text = f"{ticket.number} → {self.t('transfer_to')}"
        self.fill(self.ids.choices, [self.button(f"{c.code} {name_of(c, self.app.lang)}",
                                                 lambda p=c.code: self.transfer(p))
                                     for c in state.categories if c.code != ticket.prefix])

    def transfer(self, prefix: str) -> None:
        ticket = self.app.flow["ticket"]
        self.app.bridge.call(self.app.engine.transfer, ticket.number, prefix,
                             on_done=lambda _t: self.app.go("console"), on_error=self._error)
