"""Take a number, step 1: the service categories offered at this stop, with how many wait."""
from __future__ import annotations

from kiosk.i18n import name_of
from kiosk.widgets import KioskScreen, load_kv

load_kv(__file__)


class ServiceScreen(KioskScreen):
    def refresh(self) -> None:
        state = self.app.state
        grid = self.ids.choices
        if state is None or state.visit is None:
            self.fill(grid, [self.label(self.t("not_at_stop"), 30)])
            return
        offered = state.offered()
        buttons = []
        for cat in state.categories:
            if cat.code not in offered:
                continue
            waiting = state.snapshot.by_service.get(cat.code, 0)
            text = f"{cat.code}  {name_of(cat, self.app.lang)}\n{self.t('service_waiting', n=waiting)}"
            buttons.append(self.button(text, lambda c=cat.code: self.choose(c)))
        self.fill(grid, buttons or [self.label(self.t("no_services"), 30)])

    def choose(self, prefix: str) -> None:
        self.app.flow.update(prefix=prefix, item=None, priority=False)
        cat = next(c for c in self.app.state.categories if c.code == prefix)
        self.app.go("item" if len(cat.items) > 1 else "confirm")
