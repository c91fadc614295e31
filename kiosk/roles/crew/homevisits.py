"""上门服务: today's home visits booked on the hotline (address, need, slot, service, code). Opening one
opens its stop visit and checks the appointment in (no kiosk at the bedside); the crew then call and
serve the number on the queue tab and record the outcome like any service."""
from __future__ import annotations

from typing import Any

from kiosk.i18n import STATE_NAMES, pick
from kiosk.widgets import KioskScreen, load_kv
from ztc.domain.models import HomeVisitOpened
from ztc.text import Text

load_kv(__file__)


class HomeVisitsScreen(KioskScreen):
    visits: tuple[dict[str, Any], ...] = ()

    def on_pre_enter(self, *args: Any) -> None:
        super().on_pre_enter(*args)
        self.load()

    def load(self) -> None:
        self.app.bridge.call(self.app.engine.home_visits, on_done=self._loaded, on_error=self._error,
                             changes=False)

    def _loaded(self, visits: list[dict[str, Any]]) -> None:
        self.visits = tuple(visits)
        self.refresh()

    def refresh(self) -> None:
        self.ids.title.text = self.t("home_title")
        rows: list[Any] = []
        for v in self.visits:
            service = v["service_en"] if self.app.lang == "en" else v["service_zh"]
            rows.append(self.label(self.t("home_line", slot=v["slot"], address=v["address"], service=service,
                                          needs=v["needs"] or "-", who=v["name_masked"] or "-",
                                          last4=v["phone_last4"] or "-", code=v["code"]), 22))
            if v["number"]:
                state = pick(STATE_NAMES.get(v["state"], Text(v["state"])), self.app.lang)
                rows.append(self.label(self.t("home_state", number=v["number"], state=state), 20))
            else:
                rows.append(self.button(self.t("home_open", slot=v["slot"]),
                                        lambda a=v["appointment_id"]: self.open(a)))
        if not rows:
            rows.append(self.label(self.t("home_none"), 24))
        self.fill(self.ids.list, rows)

    def open(self, appointment_id: str) -> None:
        self.app.bridge.call(self.app.engine.open_home_visit, appointment_id, "crew", on_done=self._opened,
                             on_error=self._error)

    def _opened(self, result: HomeVisitOpened) -> None:
        number = result.ticket.number if result.ticket is not None else ""
        self.ids.message.text = self.t("home_opened", number=number)
        self.load()
