"""The queue console of one window: who waits, the ticket at this window, and the actions on it."""
from __future__ import annotations

from typing import Any

from kiosk.i18n import STATE_NAMES, name_of, pick
from kiosk.roles.crew.clock_line import read_clock
from kiosk.widgets import KioskScreen, load_kv
from ztc.domain.models import Ticket, Window

load_kv(__file__)


class ConsoleScreen(KioskScreen):
    def current(self) -> Ticket | None:
        state, window = self.app.state, self.app.flow.get("window")
        if state is None:
            return None
        return next((t for t in state.active if t.window == window and t.state in ("called", "serving")), None)

    def my_window(self) -> Window | None:
        state, window = self.app.state, self.app.flow.get("window")
        return next((w for w in state.windows if w.number == window), None) if state else None

    def refresh(self) -> None:
        state, flow = self.app.state, self.app.flow
        if state is None or "window" not in flow:
            return
        win = self.my_window()
        skills, paused = (win.skills, win.paused) if win is not None else ((), False)
        self.ids.who.text = f"{self.t('window_n', n=flow['window'])} · {self.t('crew_number')} {flow.get('crew', '')}"
        rows = []
        for cat in state.categories:
            waiting = state.snapshot.by_service.get(cat.code, 0)
            mark = "●" if cat.code in skills else "○"
            rows.append(self.label(f"{mark} {cat.code} {name_of(cat, self.app.lang)}: {waiting}", 22))
        self.fill(self.ids.waiting, rows)
        ticket = self.current()
        if ticket is None:
            self.ids.current.text = self.t("paused") if paused else self.t("no_current")
        else:
            st = pick(STATE_NAMES[ticket.state], self.app.lang)
            extra = f" ×{ticket.calls}" if ticket.state == "called" else ""
            self.ids.current.text = self.t("current_ticket", number=ticket.number, state=st + extra)
        called = ticket is not None and ticket.state == "called"
        self.ids.call_button.disabled = ticket is not None or paused
        self.ids.recall_button.disabled = not called
        self.ids.no_show_button.disabled = not called
        self.ids.start_button.disabled = not called
        self.ids.complete_button.disabled = ticket is None
        self.ids.transfer_button.disabled = ticket is None
        self.ids.pause_button.text = self.t("resume") if paused else self.t("pause")
        self._show_alerts()

    def _show_alerts(self) -> None:
        alerts = self.app.services["alerts"]
        self.app.bridge.call(alerts.open_alerts, changes=False, on_done=self._alerts_read)
        self.app.bridge.call(read_clock, self.app.settings.data_dir, self.app.clock(), changes=False,
                             on_done=self._clock_read)

    def _clock_read(self, status: Any) -> None:
        self.clock_line = status.text(self.app.lang)
        self._alerts_read(getattr(self, "alerts", []))

    def _alerts_read(self, alerts: list[dict[str, Any]]) -> None:
        self.alerts = alerts
        lines = [getattr(self, "clock_line", "")] + [self.t("print_alert", number=a["number"]) for a in alerts[-2:]]
        self.ids.alert.text = "  ".join(line for line in lines if line)
        self.ids.dismiss_button.disabled = not alerts
        self.ids.dismiss_button.opacity = 1 if alerts else 0

    def dismiss(self) -> None:
        for a in getattr(self, "alerts", []):
            self.app.bridge.call(self.app.services["alerts"].dismiss, a["id"], changes=False)
        self._alerts_read([])  # the clock line stays until the clock is right

    # --- actions: each one engine call off the UI thread ---
    def act(self, action: str) -> None:
        engine, window = self.app.engine, self.app.flow["window"]
        calls = {"call": engine.call_next, "recall": engine.recall, "no_show": engine.no_show, "start": engine.start}
        self.app.bridge.call(calls[action], window, on_done=self._done, on_error=self._error)

    def toggle_pause(self) -> None:
        win = self.my_window()
        self.app.bridge.call(self.app.engine.pause_window, self.app.flow["window"], not (win and win.paused),
                             on_done=self._done, on_error=self._error)

    def _done(self, result: Any) -> None:
        self.ids.message.text = self.t("nobody_waiting") if result is None else ""

    def complete(self) -> None:
        self.app.flow["ticket"] = self.current()
        self.app.go("record")

    def transfer(self) -> None:
        self.app.flow["ticket"] = self.current()
        self.app.go("transfer")
