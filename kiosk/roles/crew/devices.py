"""Devices tab: every device's health (probed off the UI thread; the ticket printer as the resident
kiosk, its only owner, last published it, re-read every few seconds while the tab is shown), the A4
queue and its jobs, the GPS and the uplink as the agent last saw them (``ztc.agent_state``), a
ticket-printer test print and a reprint (marked as a copy) of a ticket that failed or was lost
(``reprint.py``), both carried out by the resident kiosk (``print_request.py``). The GPS override is
the stop-visit screen: the crew's arrive/depart always wins."""
from __future__ import annotations

from typing import Any

from kivy.clock import Clock
from kivy.utils import escape_markup

from kiosk.widgets import KioskScreen, load_kv
from ztc.text import Text

load_kv(__file__)

STATE_COLOURS = {"ok": "66ff88", "degraded": "ffcc33", "error": "ff5555", "offline": "ff5555", "absent": "aaaaaa"}
OWNED_EVERY_S = 2.0   # the owner's rows are re-read this often while the tab is shown (one SELECT)


def probe_devices(settings: Any, db: Any = None) -> dict[str, dict[str, Any]]:
    """Every device; the ticket printer from its owner's row in ``db`` (never opened here)."""
    from drivers.registry import device_statuses

    return device_statuses(settings, db=db)


def read_owned(settings: Any, db: Any) -> dict[str, dict[str, Any]]:
    from drivers.registry import owned_statuses

    return owned_statuses(settings, db)


def read_link(db: Any, data_dir: Any, now: float) -> tuple[Any, dict[str, Any]]:
    """On a worker: the agent's state file (link, GPS) and the outbox backlog (pending, oldest)."""
    from ztc.agent_state import read_agent_state
    from ztc.db import outbox

    with db.read() as conn:
        stats = outbox.stats(conn)
    return read_agent_state(data_dir, now), stats


def a4_printer_of(app: Any) -> Any:
    """The kiosk's A4 queue: ``services["a4_printer"]`` (tests) or the configured one (opens nothing)."""
    from drivers.a4_printer import A4Printer

    return app.services.get("a4_printer") or A4Printer.from_settings(app.settings.devices.a4_printer)


class DevicesScreen(KioskScreen):
    statuses: dict[str, dict[str, Any]] | None = None
    a4: Any = None  # kiosk.roles.crew.a4_status.A4Status of the last read
    uplink: dict[str, Any] | None = None  # ztc.db.outbox.stats: {"pending", "oldest_ts"}
    agent: Any = None  # ztc.agent_state.AgentState of the last read
    _owned_event: Any = None

    def on_pre_enter(self, *args: Any) -> None:
        super().on_pre_enter(*args)
        self.probe()
        self._owned_event = Clock.schedule_interval(self._read_owned, OWNED_EVERY_S)

    def on_leave(self, *args: Any) -> None:
        if self._owned_event is not None:
            self._owned_event.cancel()
            self._owned_event = None

    def probe(self) -> None:
        self.ids.message.text = self.t("working")
        probe = self.app.services.get("probe_devices", probe_devices)
        self.app.bridge.call(probe, self.app.settings, self.app.engine.db, changes=False, on_done=self._probed,
                             on_error=self._error)
        self.app.bridge.call(read_link, self.app.engine.db, self.app.settings.data_dir, self.app.clock(),
                             changes=False, on_done=self._link_read, on_error=self._error)
        from kiosk.roles.crew.a4_status import read_a4_status

        self.app.bridge.call(read_a4_status, a4_printer_of(self.app), changes=False, on_done=self._a4_read,
                             on_error=self._error)

    def _a4_read(self, status: Any) -> None:
        self.a4 = status
        self.refresh()

    def a4_lines(self) -> list[str]:
        """The A4 queue's condition and its newest jobs (id and state), in the kiosk language."""
        from kiosk.i18n import A4_JOB_STATES, pick

        st = self.a4
        if st is None:
            return []
        lang = self.app.lang
        colour = STATE_COLOURS.get(st.level, "ffffff")
        lines = [self.t("a4_state", state=f"[color={colour}]{st.en if lang == 'en' else st.zh}[/color]")]
        if st.jobs:
            jobs = ", ".join(f"{job_id} {pick(A4_JOB_STATES.get(state, Text(state)), lang)}"
                             for job_id, state in st.jobs)
            lines.append(self.t("a4_jobs", jobs=jobs))
        elif st.level != "offline":
            lines.append(self.t("a4_no_jobs"))
        return lines

    def _link_read(self, found: tuple[Any, dict[str, Any]]) -> None:
        self.agent, self.uplink = found
        self.refresh()

    def link_lines(self) -> list[str]:
        """GPS first (the crew's override is next to it), then the uplink."""
        from kiosk.roles.crew.link_lines import gps_lines, uplink_lines

        lang, tz = self.app.lang, self.app.settings.tz
        return [*gps_lines(self.agent, lang, tz, lambda stop, name: self.app.stop_name(stop, name, lang)),
                *uplink_lines(self.agent, self.uplink, lang, self.app.clock(), tz)]

    def _probed(self, statuses: dict[str, dict[str, Any]]) -> None:
        self.statuses = statuses
        self.ids.message.text = ""
        self.refresh()

    def _read_owned(self, _dt: float) -> bool | None:
        """The ticket printer's state as the resident kiosk publishes it (paper out shows in seconds)."""
        if self.manager is None or self.manager.current_screen is not self:
            return False   # not shown any more: unscheduled
        if self.statuses is not None and self.app.bridge.pending < 2:
            try:
                self.app.bridge.call(read_owned, self.app.settings, self.app.engine.db, changes=False,
                                     on_done=self._owned_read, on_error=lambda _e: None)
            except RuntimeError:   # the app is stopping: its workers are gone
                return False
        return None

    def _owned_read(self, owned: dict[str, dict[str, Any]]) -> None:
        def shown(st: dict[str, Any] | None) -> tuple[Any, Any]:   # what the row says (not its age)
            return (st or {}).get("state"), (st or {}).get("detail")

        if self.statuses is not None and any(shown(self.statuses.get(k)) != shown(v) for k, v in owned.items()):
            self.statuses = {**self.statuses, **owned}
            self.refresh()

    def refresh(self) -> None:
        from kiosk.i18n import DEVICE_NAMES, DEVICE_STATES, bilingual, pick

        lang = self.app.lang
        rows = []
        for name, st in (self.statuses or {}).items():
            if name == "a4_printer" and self.a4 is not None:
                continue   # the A4 lines below say the same, with the jobs
            state = str(st.get("state"))
            colour = STATE_COLOURS.get(state, "ffffff")
            shown = pick(DEVICE_NAMES.get(name, Text(name)), lang)
            words = pick(DEVICE_STATES.get(state, Text(state)), lang)
            detail = bilingual(str(st.get("detail", "")), lang)
            detail = "" if detail == words else escape_markup(detail)
            rows.append(self.label(f"[b]{shown}[/b]  [color={colour}]{words}[/color]  {detail}", 22, markup=True))
        if self.statuses == {}:
            rows.append(self.label(self.t("devices_none"), 24))
        for line in self.a4_lines():
            rows.append(self.label(line, 22, markup=True))
        for line in self.link_lines():
            rows.append(self.label(line, 22))
        state = self.app.state
        if state is not None:
            rows.append(self.label(self.t("queue_line", n=state.snapshot.waiting,
                                          issued=state.summary.issued), 20))
        self.fill(self.ids.rows, rows)

    def test_print(self) -> None:
        """A sample ticket, printed by the resident kiosk (the printer's owner): paper, cutter and text
        checked in one go, and that the resident kiosk answers."""
        from kiosk.roles.crew.print_request import ask_owner, progress

        self.ids.message.text = self.t("print_waiting")
        self.app.bridge.call(ask_owner, self.app.engine.db, "test", None, str(self.app.flow.get("crew", "")),
                             progress(self), changes=False,
                             on_done=lambda _n: setattr(self.ids.message, "text", "✓ " + self.t("test_printed")),
                             on_error=self._error)
