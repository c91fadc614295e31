"""Now calling (large, flashing a few seconds), the last calls, who waits per service, where the bus
is and goes next, and headquarters' notice. Each new call is announced by voice off the UI thread."""
from __future__ import annotations

from kivy.animation import Animation

from kiosk.i18n import name_of, t
from kiosk.state import BusState
from kiosk.widgets import KioskScreen, load_kv

load_kv(__file__)

FLASH_S = 4.0  # how long a new call flashes


class CallingScreen(KioskScreen):
    seen: set[tuple[str, int]] | None = None  # (ticket id, call count) already shown and announced

    def refresh(self) -> None:
        state: BusState | None = self.app.state
        if state is None:
            return
        self._announce_new(state)
        calls = [c for c in state.recent_calls if c.state in ("called", "serving")]
        latest = calls[0] if calls else None
        if latest is not None:
            self.ids.now_zh.text = t("now_calling", "zh", number=latest.number, window=latest.window)
            self.ids.now_en.text = t("now_calling", "en", number=latest.number, window=latest.window)
        else:
            self.ids.now_zh.text, self.ids.now_en.text = "", ""
        self.fill(self.ids.recent, [self.label(f"{c.number}  →  {t('window_n', 'zh', n=c.window)}", 30)
                                    for c in state.recent_calls[1:6]])
        cats = {c.code: c for c in state.categories}
        waiting = [self.label(f"{p} {name_of(cats[p], 'zh')}  {state.snapshot.by_service.get(p, 0)}", 26)
                   for p in state.offered() if p in cats]
        self.fill(self.ids.waiting, waiting)
        lines = [self.app.stop_line("zh", state)]
        for v in state.planned[:2]:
            when = self.app.visit_when(v.arrive, v.depart, "zh")
            lines.append(f"{when} {self.app.stop_name(v.stop, v.name, 'zh')}")
        self.ids.where.text = "\n".join(lines)
        note = state.announcement
        self.ids.notice.text = (f"{t('announcement', 'zh')}：{note.text.zh}  {note.text.en}"
                                if note else "")

    def _announce_new(self, state: BusState) -> None:
        current = {(c.id, c.calls): c for c in state.recent_calls if c.state == "called"}
        if self.seen is None:  # starting up: the calls already made are history, not news
            self.seen = set(current)
            return
        new = [c for key, c in current.items() if key not in self.seen]
        for call in sorted(new, key=lambda c: c.called_at):
            self.seen.add((call.id, call.calls))
            self.app.bridge.call(self.app.services["announcer"].announce, call.number, call.window,
                                 changes=False)
        if new:
            self.flash()

    def flash(self) -> None:
        box = self.ids.now_box
        Animation.cancel_all(box, "glow")
        anim = Animation(glow=1.0, duration=0.25) + Animation(glow=0.0, duration=0.25)
        for _ in range(int(FLASH_S / 0.5) - 1):
            anim += Animation(glow=1.0, duration=0.25) + Animation(glow=0.0, duration=0.25)
        anim.start(box)
