"""Appointment check-in with a keypad: the 6-digit code, or the last four phone digits + service."""
from __future__ import annotations

from typing import Any

from kiosk.i18n import name_of
from kiosk.widgets import KioskScreen, load_kv

load_kv(__file__)


class CheckinScreen(KioskScreen):
    mode = "code"  # "code" | "phone"

    def on_pre_enter(self, *args: Any) -> None:
        self.mode = "code"
        self.ids.keypad.value = ""
        self.app.flow.pop("checkin_service", None)
        super().on_pre_enter(*args)

    def refresh(self) -> None:
        phone = self.mode == "phone"
        self.ids.prompt.text = self.t("checkin_phone" if phone else "checkin_code")
        self.ids.keypad.max_len = 4 if phone else 6
        self.ids.switch_button.text = self.t("use_code" if phone else "use_phone")
        services = []
        if phone and self.app.state is not None:
            chosen = self.app.flow.get("checkin_service")
            for cat in self.app.state.categories:
                b = self.button(f"{cat.code} {name_of(cat, self.app.lang)}", lambda c=cat.code: self.pick(c),
                                role="choice")
                b.font_size = self.app.fs(22, self.app.large)
                b.height = self.app.fs(64, self.app.large)
                b.chosen = cat.code == chosen
                services.append(b)
        self.fill(self.ids.services, services)
        self.ids.services_title.text = self.t("checkin_service") if phone else ""

    def switch(self) -> None:
        self.mode = "phone" if self.mode == "code" else "code"
        self.ids.keypad.value = ""
        self.refresh()

    def pick(self, prefix: str) -> None:
        self.app.flow["checkin_service"] = prefix
        self.refresh()

    def submit(self) -> None:
        value = self.ids.keypad.value
        if self.mode == "code":
            args: tuple[str | None, str | None, str | None] = (value, None, None)
        else:
            args = (None, value, self.app.flow.get("checkin_service"))
        self.app.bridge.call(self.app.engine.check_in, *args, on_done=self._checked_in,
                             on_error=self.app.sm.get_screen("message").show_error)

    def _checked_in(self, ticket: dict[str, Any]) -> None:
        self.app.flow["ticket"] = ticket
        self.app.go("ticket")
        self.app.sm.get_screen("ticket").print_now(ticket)
