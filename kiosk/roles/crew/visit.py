"""Stop visit: arrive at a stop (headquarters' stops of today first, then the shipped route's), open an
on-demand stop (预约即开), depart and decide about tickets still waiting; the way to the home visits."""
from __future__ import annotations

import datetime as dt
from typing import Any

from kiosk.widgets import KioskScreen, load_kv
from ztc.domain.errors import QueueError
from ztc.domain.models import Departure

load_kv(__file__)


class VisitScreen(KioskScreen):
    pending: tuple[str, ...] = ()
    stops: tuple[dict[str, Any], ...] = ()
    homes: int = 0

    def on_pre_enter(self, *args: Any) -> None:
        super().on_pre_enter(*args)
        # The schedule is in the bus database: read it on the worker, never on the UI thread.
        self.app.bridge.call(lambda: (self.app.engine.scheduled_stops(), self.app.engine.home_visits()),
                             on_done=self._loaded, on_error=self._error, changes=False)

    def _loaded(self, result: Any) -> None:
        stops, homes = result
        self.stops, self.homes = tuple(stops), len(homes)
        self.refresh()

    def refresh(self) -> None:
        state = self.app.state
        if state is None:
            return
        buttons = []
        if state.visit is None:
            self.ids.title.text = self.t("not_at_stop")
            stops = self.stops or tuple({"id": s.id, "name_zh": s.name_zh, "name_en": s.name_en, "time": ""}
                                        for s in self.app.settings.route.stops)
            for stop in stops:
                name = stop["name_en"] if self.app.lang == "en" and stop["name_en"] else stop["name_zh"]
                text = (self.t("arrive_at_time", stop=name, time=stop["time"]) if stop["time"]
                        else self.t("arrive_at", stop=name))
                buttons.append(self.button(text, lambda s=stop["id"]: self._call(self.app.engine.arrive, s)))
            buttons.append(self.button(self.t("adhoc_stop"), self.adhoc, role="secondary"))
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
        buttons.append(self.button(self.t("home_visits_n", n=self.homes), lambda: self.app.go("homevisits"),
                                   role="secondary"))
        self.fill(self.ids.choices, buttons)

    def adhoc(self) -> None:
        """预约即开: the crew serve where nothing was scheduled; the place is named by the time it opened."""
        at = dt.datetime.fromtimestamp(self.app.clock(), self.app.settings.tz).strftime("%H:%M")
        self._call(self.app.engine.arrive_adhoc, self.t("adhoc_name", time=at))

    def _call(self, fn: Any, *args: Any) -> None:
        self.app.bridge.call(fn, *args, on_done=self._done, on_error=self._error)

    def depart(self, decision: str | None) -> None:
        self._call(self.app.engine.depart, "crew", decision)

    def _done(self, result: Any) -> None:
        if isinstance(result, Departure):
            self.pending = result.remaining
            self.ids.message.text = self.t("departed") if result.closed else ""
        else:
            self.pending, self.ids.message.text = (), ""
        self.refresh()

    def _error(self, error: Exception) -> None:
        if isinstance(error, QueueError) and error.code == "pending_tickets":
            self.pending = tuple(error.details.get("remaining", []))
            self.refresh()
            return
        super()._error(error)
