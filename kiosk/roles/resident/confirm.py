"""Take a number, step 3: people ahead, estimated wait, optional priority (绿色通道), confirm."""
from __future__ import annotations

import math
from typing import Any

from kiosk.i18n import name_of
from kiosk.widgets import KioskScreen, load_kv

load_kv(__file__)


class ConfirmScreen(KioskScreen):
    def refresh(self) -> None:
        state, flow = self.app.state, self.app.flow
        prefix = flow.get("prefix")
        if state is None or prefix is None:
            return
        cat = next((c for c in state.categories if c.code == prefix), None)
        item = next((i for i in cat.items if i.code == flow.get("item")), None) if cat else None
        est = state.estimates.get(prefix)
        lines = [f"{prefix}  {name_of(cat, self.app.lang)}" if cat else prefix]
        if item is not None:
            lines.append(name_of(item, self.app.lang))
        lines.append(self.t("confirm_ahead", n=est.ahead if est else 0))
        lines.append(self.t("confirm_wait", m=math.ceil((est.wait_s if est else 0) / 60)))
        self.ids.summary.text = "\n".join(lines)
        self.ids.priority_button.chosen = bool(flow.get("priority"))
        self.ids.take_button.disabled = False

    def toggle_priority(self) -> None:
        self.app.flow["priority"] = not self.app.flow.get("priority")
        self.ids.priority_button.chosen = self.app.flow["priority"]

    def take(self) -> None:
        flow = self.app.flow
        self.ids.take_button.disabled = True  # one tap, one ticket
        self.app.bridge.call(self.app.engine.issue, flow["prefix"], flow.get("item"), bool(flow.get("priority")),
                             on_done=self._issued, on_error=self._refused)

    def _issued(self, ticket: dict[str, Any]) -> None:
        self.app.flow["ticket"] = ticket
        self.app.go("ticket")
        self.app.sm.get_screen("ticket").print_now(ticket)

    def _refused(self, error: Exception) -> None:
        self.app.sm.get_screen("message").show_error(error)
