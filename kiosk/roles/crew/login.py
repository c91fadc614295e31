"""Crew log-in: crew number and PIN on keypads; the check (argon2, lockout) runs off the UI thread."""
from __future__ import annotations

import math
from typing import Any

from kivy.properties import StringProperty

from kiosk.widgets import KioskScreen, load_kv
from ztc.domain.crew import LoginResult

load_kv(__file__)


class LoginScreen(KioskScreen):
    field = StringProperty("crew")  # which value the keypad is filling: "crew" | "pin"

    def on_pre_enter(self, *args: Any) -> None:
        self.values = {"crew": "", "pin": ""}
        self.field = "crew"
        self.ids.pad.value = ""
        self.ids.message.text = ""
        super().on_pre_enter(*args)

    def refresh(self) -> None:
        self.ids.prompt.text = self.t("crew_number") if self.field == "crew" else self.t("crew_pin")
        self.ids.crew_button.chosen = self.field == "crew"
        self.ids.pin_button.chosen = self.field == "pin"

    def select(self, field: str) -> None:
        """Switch the keypad between crew number and PIN, keeping what was typed in each."""
        self.values[self.field] = self.ids.pad.value
        self.field = field
        self.ids.pad.value = self.values[field]
        self.refresh()

    def shown(self, value: str, field: str) -> str:
        return value if field == "crew" else "●" * len(value)

    def submit(self) -> None:
        if self.field == "crew":
            self.select("pin")
            return
        self.values["pin"] = self.ids.pad.value
        crew, pin = self.values["crew"], self.values["pin"]
        accounts = self.app.services["accounts"]
        self.app.bridge.call(accounts.verify, crew, pin, changes=False,
                             on_done=lambda r: self._checked(crew, r), on_error=self._error)

    def _checked(self, crew: str, result: LoginResult) -> None:
        self.values["pin"] = ""
        self.ids.pad.value = ""
        if result.ok:
            self.app.flow.clear()
            self.app.flow["crew"] = crew
            self.app.go("window")
            return
        if result.reason == "locked":
            self.ids.message.text = self.t("locked", m=math.ceil(result.locked_for_s / 60))
        elif result.reason == "no_accounts":
            self.ids.message.text = self.t("no_accounts")
        else:
            self.ids.message.text = self.t("login_failed", left=result.tries_left)
