"""Devices tab: every device's health from ``drivers.registry.device_statuses`` (probed off the UI
thread), a ticket-printer test print, and a reprint (marked as a copy) of a ticket that failed."""
from __future__ import annotations

from typing import Any

from kiosk.widgets import KioskScreen, load_kv

load_kv(__file__)

STATE_COLOURS = {"ok": "66ff88", "degraded": "ffcc33", "error": "ff5555", "offline": "ff5555", "absent": "aaaaaa"}


def probe_devices(settings: Any) -> dict[str, dict[str, Any]]:
    from drivers.registry import device_statuses

    return device_statuses(settings)


def read_uplink(db: Any) -> dict[str, Any]:
    """Outbox backlog (pending events, oldest timestamp) read on a worker; the agent is not asked."""
    from ztc.db import outbox

    with db.read() as conn:
        return outbox.stats(conn)


class DevicesScreen(KioskScreen):
    statuses: dict[str, dict[str, Any]] | None = None
    uplink: dict[str, Any] | None = None  # ztc.db.outbox.stats: {"pending", "oldest_ts"}

    def on_pre_enter(self, *args: Any) -> None:
        super().on_pre_enter(*args)
        self.probe()

    def probe(self) -> None:
        self.ids.message.text = self.t("working")
        probe = self.app.services.get("probe_devices", probe_devices)
        self.app.bridge.call(probe, self.app.settings, changes=False, on_done=self._probed, on_error=self._error)
        self.app.bridge.call(read_uplink, self.app.engine.db, changes=False, on_done=self._uplink_read,
                             on_error=self._error)

    def _uplink_read(self, stats: dict[str, Any]) -> None:
        self.uplink = stats
        self.refresh()

    def uplink_line(self) -> str:
        """What still waits for headquarters: if it grows and ages, the uplink is down."""
        stats = self.uplink
        if stats is None:
            return ""
        if not stats["pending"]:
            return self.t("uplink_clear")
        age_min = max(0, int((self.app.clock() - float(stats["oldest_ts"])) // 60))
        return self.t("uplink_pending", n=stats["pending"], m=age_min)

    def _probed(self, statuses: dict[str, dict[str, Any]]) -> None:
        self.statuses = statuses
        self.ids.message.text = ""
        self.refresh()

    def refresh(self) -> None:
        rows = []
        for name, st in (self.statuses or {}).items():
            colour = STATE_COLOURS.get(str(st.get("state")), "ffffff")
            rows.append(self.label(f"[b]{name}[/b]  [color={colour}]{st.get('state')}[/color]  {st.get('detail', '')}",
                                   22, markup=True))
        if self.statuses == {}:
            rows.append(self.label(self.t("devices_none"), 24))
        if self.uplink is not None:
            rows.append(self.label(self.uplink_line(), 22))
        state = self.app.state
        if state is not None:
            pending = state.snapshot.get("waiting", 0)
            rows.append(self.label(f"queue: {pending} waiting · issued {state.summary.get('issued', 0)}", 20))
        self.fill(self.ids.rows, rows)

    def _printer(self) -> Any:
        printer = self.app.services.get("printer")
        if printer is None:
            from kiosk.printing import default_printer

            printer = self.app.services["printer"] = default_printer(self.app.settings)
        return printer

    def reprint(self) -> None:
        """Reprint the ticket of the newest print-failure alert, as a copy, and clear the alert."""
        alerts = self.app.services["alerts"]

        def work() -> str:
            open_alerts = alerts.open_alerts()
            if not open_alerts:
                return ""
            alert = open_alerts[-1]
            ticket = self.app.engine.ticket(alert["ticket_id"])
            self._printer()(ticket, True)
            self.app.engine.mark_printed(ticket["id"])
            alerts.dismiss(alert["id"])
            return ticket["number"]

        self.app.bridge.call(work, on_done=lambda n: setattr(self.ids.message, "text", n and f"✓ {n}"),
                             on_error=self._error)

    def _error(self, error: Exception) -> None:
        self.ids.message.text = str(error)[:200]
