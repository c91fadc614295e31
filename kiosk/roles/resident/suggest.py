"""意见建议: the resident picks topics (large toggles, any number) and sends them. No typing on the
kiosk (it has no input method); free text is on the phone, from the ticket's QR code."""
from __future__ import annotations

from typing import Any

from kiosk.i18n import pick
from kiosk.widgets import KioskScreen, load_kv
from ztc.domain.vocabulary import SUGGESTION_TOPICS

load_kv(__file__)


class SuggestScreen(KioskScreen):
    def on_pre_enter(self, *args: Any) -> None:
        self.chosen: set[str] = set()
        self.ids.message.text = ""
        self.ids.send_button.disabled = False
        super().on_pre_enter(*args)

    def refresh(self) -> None:
        buttons = []
        for code, pair in SUGGESTION_TOPICS.items():
            b = self.button(pick(pair, self.app.lang), lambda c=code: self._toggle(c), role="choice",
                            font_size=self.app.fs(30, self.app.large))
            b.chosen = code in self.chosen
            buttons.append(b)
        self.fill(self.ids.topics, buttons)

    def _toggle(self, code: str) -> None:
        self.chosen ^= {code}
        self.ids.message.text = ""
        self.refresh()

    def send(self) -> None:
        if not self.chosen:
            self.ids.message.text = self.t("suggest_none")
            return
        self.ids.send_button.disabled = True
        self.app.bridge.call(self.app.engine.suggest, sorted(self.chosen), on_done=self._sent, on_error=self._failed)

    def _sent(self, _result: Any) -> None:
        self.chosen = set()
        self.refresh()
        self.ids.message.text = self.t("suggest_thanks")

    def _failed(self, error: Exception) -> None:
        self.ids.send_button.disabled = False
        self._error(error)
