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
        avg = s.rating_avg
        lines = [self.t("summary_issued", n=s.issued), self.t("summary_served", n=s.served),
                 self.t("summary_no_show", n=s.no_show), self.t("summary_wait", m=s.avg_wait_min),
                 self.t("summary_rating", n=s.ratings, avg="—" if avg is None else avg)]
        self.fill(self.ids.rows, [self.label(line, 30) for line in lines])
