"""Cut-off override: the crew issue a number the cut-off refused (a resident who must be served).

Why a screen of its own with a confirm step: overriding the cut-off keeps the bus at the stop
longer, so it is a deliberate crew decision (pick the service, then confirm, with or without the
green channel 绿色通道); the engine records ``cutoff_override`` in the event so headquarters sees
every override.
"""
from __future__ import annotations

from typing import Any

from kiosk.i18n import name_of
from kiosk.printing import PrintFailed, TicketPrinting
from kiosk.widgets import KioskScreen, load_kv

load_kv(__file__)


class OverrideScreen(KioskScreen):
    chosen: str | None = None          # the service prefix picked, waiting for the confirm
    issued: dict[str, Any] | None = None

    def on_pre_enter(self, *args: Any) -> None:
        self.chosen, self.issued = None, None
        self.ids.message.text = ""
        super().on_pre_enter(*args)

    def refresh(self) -> None:
        state = self.app.state
        if state is None:
            return
        if self.issued is not None:
            self.ids.title.text = self.t("override_issued", number=self.issued.number)
            self.fill(self.ids.choices, [])
        elif self.chosen is None:
            self.ids.title.text = self.t("override_pick")
            self.fill(self.ids.choices, [self.button(f"{c.code} {name_of(c, self.app.lang)}",
                                                     lambda p=c.code: self.pick(p))
                                         for c in state.categories])
        else:
            cat = next((c for c in state.categories if c.code == self.chosen), None)
            name = name_of(cat, self.app.lang) if cat is not None else self.chosen
            self.ids.title.text = self.t("override_confirm_q", service=f"{self.chosen} {name}")
            self.fill(self.ids.choices, [
                self.button(self.t("override_confirm"), lambda: self.confirm(False), role="danger"),
                self.button(self.t("override_confirm_priority"), lambda: self.confirm(True), role="danger"),
                self.button(self.t("cancel"), lambda: self.pick(None), role="secondary")])

    def pick(self, prefix: str | None) -> None:
        self.chosen = prefix
        self.refresh()

    def _printing(self) -> TicketPrinting | None:
        """The crew role's ticket printer (the same one the devices tab reprints on), if any."""
        printing = self.app.services.get("printing")
        if printing is None:
            from kiosk.roles.crew.devices import crew_printer

            printer = crew_printer(self.app)
            if printer is None:
                return None
            printing = self.app.services["printing"] = TicketPrinting(self.app.engine, self.app.services["alerts"],
                                                                      printer)
        return printing

    def confirm(self, priority: bool) -> None:
        """Issue it; ``priority``: 绿色通道 (elderly, disabled, pregnant…), called before the others."""
        prefix = self.chosen
        if prefix is None:
            return
        self.ids.message.text = self.t("working")

        def work() -> tuple[dict[str, Any], str]:
            ticket = self.app.engine.issue(prefix, None, priority, override_cutoff=True)
            printing = self._printing()  # opening a device is I/O: on this worker, never the UI thread
            if printing is None:
                return ticket, "shown"
            try:
                printing.print_ticket(ticket)
            except PrintFailed:
                return ticket, "failed"
            return ticket, "printed"

        self.app.bridge.call(work, on_done=self._done, on_error=self._error)

    def _done(self, result: tuple[dict[str, Any], str]) -> None:
        ticket, printed = result
        self.issued, self.chosen = ticket, None
        self.ids.message.text = self.t(f"override_{printed}", number=ticket.number)
        self.refresh()
