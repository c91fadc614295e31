"""Take a number, step 2 (categories with several items): which matter exactly, or "not sure"."""
from __future__ import annotations

from kiosk.i18n import name_of
from kiosk.widgets import KioskScreen, load_kv

load_kv(__file__)


class ItemScreen(KioskScreen):
    def refresh(self) -> None:
        state, prefix = self.app.state, self.app.flow.get("prefix")
        if state is None or prefix is None:
            return
        cat = next((c for c in state.categories if c.code == prefix), None)
        if cat is None:
            return
        buttons = [self.button(name_of(i, self.app.lang), lambda code=i.code: self.choose(code)) for i in cat.items]
        buttons.append(self.button(self.t("item_unsure"), lambda: self.choose(None), role="secondary"))
        self.fill(self.ids.choices, buttons)

    def choose(self, item: str | None) -> None:
        self.app.flow["item"] = item
        self.app.go("confirm")
