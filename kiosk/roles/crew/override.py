"""Cut-off override: the crew issue a number the cut-off refused (a resident who must be served).

Why a screen of its own with a confirm step: overriding the cut-off keeps the bus at the stop
longer, so it is a deliberate crew decision (pick the service, then confirm, with or without the
green channel 绿色通道); the engine records ``cutoff_override`` in the event so headquarters sees
every override. The resident kiosk, the ticket printer's only owner, prints the ticket (a print
request, ``print_request.py``); a failed print raises the crew alert there, as for any ticket.
"""
from __future__ import annotations

from typing import Any

from kiosk.i18n import name_of
from kiosk.printing import PrintFailed
from kiosk.widgets import KioskScreen, load_kv
from ztc.domain.models import Ticket

load_kv(__file__)


class OverrideScreen(KioskScreen):
    chosen: str | None = None          # the service prefix picked, waiting for the confirm
    issued: Ticket | None = None

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

    def confirm(self, priority: bool) -> None:
        """Issue it; ``priority``: 绿色通道 (elderly, disabled, pregnant…), called before the others."""
        prefix = self.chosen
        if prefix is None:
            return
        self.ids.message.text = self.t("working")

        from kiosk.roles.crew.print_request import ask_owner, progress

        def work() -> tuple[Ticket, str]:
            ticket = self.app.engine.issue(prefix, None, priority, override_cutoff=True)
            try:
                ask_owner(self.app.engine.db, "override", ticket.id, str(self.app.flow.get("crew", "")),
                          progress(self))
            except PrintFailed:
                return ticket, "failed"
            return ticket, "printed"

        self.app.bridge.call(work, on_done=self._done, on_error=self._error)

    def _done(self, result: tuple[Ticket, str]) -> None:
        ticket, printed = result
        self.issued, self.chosen = ticket, None
        self.ids.message.text = self.t(f"override_{printed}", number=ticket.number)
        self.refresh()
