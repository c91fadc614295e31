"""After log-in: which window this console serves and which services (skills) it handles."""
from __future__ import annotations

from typing import Any

from kiosk.i18n import name_of
from kiosk.widgets import KioskScreen, load_kv

load_kv(__file__)

WINDOWS = range(1, 7)


class WindowScreen(KioskScreen):
    def on_pre_enter(self, *args: Any) -> None:
        self.app.flow.setdefault("window", 1)
        self.app.flow.setdefault("skills", set())
        super().on_pre_enter(*args)

    def refresh(self) -> None:
        flow, state = self.app.flow, self.app.state
        windows = []
        for n in WINDOWS:
            b = self.button(self.t("window_n", n=n), lambda n=n: self._set("window", n), role="choice")
            b.chosen = flow.get("window") == n
            windows.append(b)
        self.fill(self.ids.windows, windows)
        skills = []
        for cat in state.categories if state else ():
            b = self.button(f"{cat.code} {name_of(cat, self.app.lang)}", lambda c=cat.code: self._toggle(c),
                            role="choice")
            b.chosen = cat.code in flow.get("skills", set())
            skills.append(b)
        self.fill(self.ids.skills, skills)
        self.ids.open_button.disabled = not flow.get("skills")

    def _set(self, key: str, value: Any) -> None:
        self.app.flow[key] = value
        self.refresh()

    def _toggle(self, code: str) -> None:
        self.app.flow["skills"] ^= {code}
        self.refresh()

    def open_window(self) -> None:
        flow = self.app.flow
        self.app.bridge.call(self.app.engine.open_window, flow["window"], flow["crew"], sorted(flow["skills"]),
                             on_done=lambda _w: self.app.go("console"), on_error=self._error)
