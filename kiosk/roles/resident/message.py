"""Why a number cannot be taken (cut-off, closing, not offered here…) and when to come back."""
from __future__ import annotations

from typing import Any

from kiosk.widgets import KioskScreen, load_kv
from ztc.domain.errors import QueueError

load_kv(__file__)


class MessageScreen(KioskScreen):
    error: Exception | None = None

    def show_error(self, error: Exception) -> None:
        self.error = error
        self.app.go(self.name)
        self.refresh()

    def refresh(self) -> None:
        e = self.error
        if e is None:
            return
        if isinstance(e, QueueError):
            self.ids.code.text = e.code
            lines = [e.message.pick(self.app.lang)]
            later: list[dict[str, Any]] | None = e.details.get("later")
            if later is not None:
                if later:
                    lines.append("")
                    lines.append(self.t("later_visits"))
                    lines += [f"  {v['arrive_local']}  {self.app.stop_name(v['stop'], v['name'], self.app.lang)}"
                              for v in later]
                else:
                    lines.append(self.t("no_later_visits", hotline=self.app.settings.bus.hotline))
        else:
            self.ids.code.text = "error"
            lines = [self.t("error_generic"), str(e)[:200]]
        self.ids.text.text = "\n".join(lines)
