"""Stop visit: arrive at a stop of the route, depart, and decide about tickets still waiting."""
from __future__ import annotations

from typing import Any

from kiosk.i18n import name_of
from kiosk.widgets import KioskScreen, load_kv
from ztc.domain.errors import QueueError

load_kv(__file__)


class VisitScreen(KioskScreen):
    pending: tuple[str, ...] = ()

    def refresh(self) -> None:
        state = self.app.state
        if state is None:
            return
        buttons = []
        if state.visit is None:
            self.ids.title.text = self.t("not_at_stop")
            for stop in self.app.settings.route.stops:
                buttons.append(self.button(self.t("arrive_at", stop=name_of(stop, self.app.lang)),
                                           lambda s=stop.id: self._call(self.app.engine.arrive, s)))
        else:
            self.ids.title.text = self.app.stop_line(self.app.lang, state)
            if self.pending:
                self.ids.message.text = self.t("depart_pending", n=len(self.pending), numbers=", ".join(self.pending))
                for decision in ("serve", "release", "rebook"):
                    buttons.append(self.button(self.t(f"decide_{decision}"),
                                               lambda d=decision: self.depart(d), role="danger"))
            else:
                buttons.append(self.button(self.t("depart"), lambda: self.depart(None), role="danger"))
            buttons.append(self.button(self.t("override"), lambda: self.app.go("override"), role="secondary"))
        self.fill(self.ids.choices, buttons)

    def _call(self, fn: Any, *args: Any) -> None:
        self.app.bridge.call(fn, *args, on_done=self._done, on_error=self._error)

    def depart(self, decision: str | None) -> None:
        self._call(self.app.engine.depart, "crew", decision)

    def _done(self, result: Any) -> None:
        if isinstance(result, dict) and "closed" in result:
            self.pending = tuple(result.get("remaining", []))
            self.ids.message.text = self.t("departed") if result["closed"] else ""
        else:
            self.pending, self.ids.message.text = (), ""
        self.refresh()

    def _error(self, error: Exception) -> None:
        if isinstance(error, QueueError) and error.code == "pending_tickets":
            self.pending = tuple(error.details.get("remaining", []))
            self.refresh()
            return
        super()._error(error)
