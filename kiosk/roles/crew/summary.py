"""Day summary: issued, served, no-shows, average wait, ratings (from the shared state read)."""
from __future__ import annotations

from kiosk.widgets import KioskScreen, load_kv

load_kv(__file__)


class SummaryScreen(KioskScreen):
    def refresh(self) -> None:
        state = self.app.state
        if state is None:
            return
        s = state.summary
        avg = s.get("rating_avg")
        lines = [self.t("summary_issued", n=s.get("issued", 0)), self.t("summary_served", n=s.get("served", 0)),
                 self.t("summary_no_show", n=s.get("no_show", 0)), self.t("summary_wait", m=s.get("avg_wait_min", 0)),
                 self.t("summary_rating", n=s.get("ratings", 0), avg="—" if avg is None else avg)]
        self.fill(self.ids.rows, [self.label(line, 30) for line in lines])
