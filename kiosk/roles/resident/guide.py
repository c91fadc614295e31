"""办事指南: every service on the bus, its items and typical time, whether this stop offers it, and
for each item what to bring (申请材料) and a short policy note — so a resident who came without the
right papers learns it before queueing, not at the window."""
from __future__ import annotations

from kiosk.i18n import name_of
from kiosk.widgets import KioskScreen, load_kv

load_kv(__file__)


class GuideScreen(KioskScreen):
    def refresh(self) -> None:
        state = self.app.state
        if state is None:
            return
        offered = state.offered()
        rows = []
        for cat in state.categories:
            mark = self.t("guide_offered") if cat.code in offered else self.t("guide_not_offered")
            rows.append(self.label(f"[b]{cat.code}  {name_of(cat, self.app.lang)}[/b]   ({mark})", 28, markup=True))
            for item in cat.items:
                rows.append(self.label(f"      {name_of(item, self.app.lang)} — "
                                       f"{self.t('guide_minutes', m=round(item.minutes))}", 22))
                if item.materials:
                    sep = "; " if self.app.lang == "en" else "、"
                    rows.append(self.label(f"            {self.t('guide_materials')}{sep.join(item.materials)}", 20))
                note = item.note_en if self.app.lang == "en" and item.note_en else item.note_zh
                if note:
                    rows.append(self.label(f"            {self.t('guide_note')}{note}", 20))
        self.fill(self.ids.rows, rows)
