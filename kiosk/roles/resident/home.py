"""Home: where the bus is, where it goes next, and the four big doors."""
from __future__ import annotations

from kiosk.widgets import KioskScreen, load_kv

load_kv(__file__)


class HomeScreen(KioskScreen):
    def refresh(self) -> None:
        state = self.app.state
        lines = []
        if state is not None:
            if state.visit is not None:
                lines.append(self.t("waiting_now", n=state.snapshot.waiting))
            if state.planned:
                lines.append(self.t("next_visits") + "：" if self.app.lang == "zh" else self.t("next_visits") + ":")
                for v in state.planned[:3]:
                    name = self.app.stop_name(v.stop, v.name, self.app.lang)
                    lines.append(f"  {self.app.visit_when(v.arrive, v.depart, self.app.lang)}  {name}")
        self.ids.info.text = "\n".join(lines)

    def take(self) -> None:
        self.app.flow.clear()
        self.app.go("service")
