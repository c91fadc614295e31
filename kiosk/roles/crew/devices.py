"""Devices tab: every device's health from ``drivers.registry.device_statuses`` (probed off the UI
thread), the A4 queue and its jobs, the GPS and the uplink as the agent last saw them
(``ztc.agent_state``), a ticket-printer test print, and a reprint (marked as a copy) of a ticket
that failed or was lost (``reprint.py``). The GPS override is the stop-visit screen: the crew's
arrive/depart always wins."""
from __future__ import annotations

from typing import Any

from kivy.utils import escape_markup

from kiosk.widgets import KioskScreen, load_kv
from ztc.text import Text

load_kv(__file__)

STATE_COLOURS = {"ok": "66ff88", "degraded": "ffcc33", "error": "ff5555", "offline": "ff5555", "absent": "aaaaaa"}


def probe_devices(settings: Any) -> dict[str, dict[str, Any]]:
    from drivers.registry import device_statuses

    return device_statuses(settings)


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


def print_sample_ticket(printer: Any, settings: Any) -> str:
    """Print ``ztc devices test-print ticket``'s sample through the crew's ticket printer, marked as a
    copy (副本) so nobody takes it for a real number; raises PrintFailed when it did not print."""
    from dataclasses import replace

    from drivers.ticket_printer.content import TicketContent
    from kiosk.i18n import t
    from kiosk.printing import DriverPrinter, PrintFailed

    driver = getattr(printer, "printer", None)
    if driver is None:
        raise PrintFailed(f"{t('no_ticket_printer', 'zh')} / {t('no_ticket_printer', 'en')}")
    content = replace(TicketContent.sample(settings), copy=True)
    job = driver.submit(content)
    if not job.wait(DriverPrinter.JOB_TIMEOUT_S):
        raise PrintFailed("打印超时 / the printer did not finish in time")
    if job.state != "done":
        raise PrintFailed(job.error or "打印失败 / not printed")
    return content.number


def crew_printer(app: Any) -> Any:
    """The crew role's ticket printer (``services["printer"]``), opened on first use: call it on a
    worker. None when no ticket printer is configured."""
    printer = app.services.get("printer")
    if printer is None:
        from kiosk.printing import default_printer

        printer = app.services["printer"] = default_printer(app.settings)
    return printer


class DevicesScreen(KioskScreen):
    statuses: dict[str, dict[str, Any]] | None = None
    a4: Any = None  # kiosk.roles.crew.a4_status.A4Status of the last read
    uplink: dict[str, Any] | None = None  # ztc.db.outbox.stats: {"pending", "oldest_ts"}
    agent: Any = None  # ztc.agent_state.AgentState of the last read

    def on_pre_enter(self, *args: Any) -> None:
        super().on_pre_enter(*args)
        self.probe()

    def probe(self) -> None:
        self.ids.message.text = self.t("working")
        probe = self.app.services.get("probe_devices", probe_devices)
        self.app.bridge.call(probe, self.app.settings, changes=False, on_done=self._probed, on_error=self._error)
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
        """A sample ticket on the crew's ticket printer: paper, cutter and text checked in one go."""
        self.ids.message.text = self.t("working")
        self.app.bridge.call(lambda: print_sample_ticket(crew_printer(self.app), self.app.settings), changes=False,
                             on_done=lambda _n: setattr(self.ids.message, "text", "✓ " + self.t("test_printed")),
                             on_error=self._error)
