"""The kiosk application: one Kivy App, three roles (resident, crew, display).

Why one App: the shell (SC font, language, large-text mode, the bus state feed, the worker bridge,
idle timeout, no exit) is the same for every role; a role only contributes its screens
(``kiosk.roles.<role>.build``). Device and database work goes through ``self.bridge``.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.metrics import sp
from kivy.properties import BooleanProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.screenmanager import NoTransition, ScreenManager

from kiosk import i18n
from kiosk.bridge import Bridge, StatePoller
from kiosk.fonts import register_sc_font
from kiosk.state import BusState
from ztc.db import open_database
from ztc.domain.engine import QueueEngine
from ztc.settings import Settings

log = logging.getLogger(__name__)

ROLES = ("resident", "crew", "display")
LARGE_SCALE = 1.35


class KioskApp(App):
    lang = StringProperty("zh")
    large = BooleanProperty(False)
    state: BusState | None = ObjectProperty(None, allownone=True)

    def __init__(self, role: str, settings: Settings, clock: Callable[[], float] = time.time,
                 services: dict[str, Any] | None = None, font_cache: Path | None = None, **kwargs: Any):
        if role not in ROLES:
            raise ValueError(f"unknown kiosk role {role!r}; choose one of {', '.join(ROLES)}")
        super().__init__(**kwargs)
        self.role = role
        self.settings = settings
        self.clock = clock
        self.font_cache = font_cache or settings.data_dir / "cache" / "fonts"
        self.title = f"ztc {role}"
        # Role collaborators (printer, announcer, crew accounts…); tests inject their own.
        self.services: dict[str, Any] = dict(services or {})
        self.flow: dict[str, Any] = {}       # the resident's or crew member's choices so far
        self.last_touch = time.monotonic()
        self.first_frame_at: float | None = None
        self.engine: QueueEngine | None = None
        self.bridge: Bridge | None = None
        self.poller: StatePoller | None = None
        self.sm: ScreenManager | None = None
        self._idle_event = None
        self._refresh_trigger = Clock.create_trigger(self._refresh_current, 0.05)

    # --- building ---
    def build(self) -> Any:
        register_sc_font(self.font_cache)
        from importlib import import_module

        from kiosk.widgets import TopBar  # after the font: kv rules create labels

        self.engine = QueueEngine(open_database(self.settings.db_path), self.settings, self.clock)
        role = import_module(f"kiosk.roles.{self.role}")
        self.bridge = Bridge()
        self.sm = ScreenManager(transition=NoTransition())
        for screen in role.screens(self):
            self.sm.add_widget(screen)
        self.home_screen = self.sm.screen_names[0]
        root = BoxLayout(orientation="vertical")
        root.add_widget(TopBar())
        root.add_widget(self.sm)
        self.idle_timeout_s = role.idle_timeout_s(self.settings)
        return root

    def on_start(self) -> None:
        reader = QueueEngine(open_database(self.settings.db_path), self.settings, self.clock)
        self.poller = StatePoller(reader, self._deliver_state)
        assert self.bridge is not None  # build() made it; Kivy calls on_start after build
        self.bridge.on_change = self.poller.poke
        self.poller.start()
        self.poller.poke()
        Window.bind(on_request_close=self._refuse_close, on_touch_down=self._touched, on_key_down=self._key)
        self.bind(lang=lambda *_: self._refresh_trigger(), large=lambda *_: self._refresh_trigger())
        self._idle_event = Clock.schedule_interval(self._check_idle, 1.0)
        Clock.schedule_once(self._first_frame, 0)

    def on_stop(self) -> None:
        if self.poller:
            self.poller.stop()
        if self.bridge:
            self.bridge.shutdown()
        for service in self.services.values():
            close = getattr(service, "close", None) or getattr(service, "stop", None)  # printer / camera
            if callable(close):
                try:
                    close()
                except Exception:
                    log.exception("closing %s", service)
        Window.unbind(on_request_close=self._refuse_close, on_touch_down=self._touched, on_key_down=self._key)
        if self._idle_event is not None:
            self._idle_event.cancel()

    def _first_frame(self, _dt: float) -> None:
        self.first_frame_at = time.time()

    # --- state ---
    def _deliver_state(self, state: BusState) -> None:
        self.state = state
        self._refresh_trigger()

    def _refresh_current(self, _dt: float) -> None:
        if self.sm is not None and self.sm.current_screen is not None:
            self.sm.current_screen.refresh()

    # --- navigation and the kiosk rules ---
    def go(self, name: str) -> None:
        assert self.sm is not None
        self.sm.current = name

    def go_home(self) -> None:
        self.flow.clear()
        self.go(self.home_screen)

    def _touched(self, *_args: Any) -> None:
        self.last_touch = time.monotonic()

    def _check_idle(self, _dt: float) -> None:
        if self.idle_timeout_s and time.monotonic() - self.last_touch > self.idle_timeout_s:
            self.last_touch = time.monotonic()
            self.on_idle()

    def on_idle(self) -> None:
        """Idle too long: a resident walked away (back to home), or the crew console logs out."""
        if self.sm is not None and self.sm.current != self.home_screen:
            log.info("idle timeout on %s: back to %s", self.sm.current, self.home_screen)
        self.lang, self.large = "zh", False
        self.go_home()

    def _refuse_close(self, *_args: Any, **_kwargs: Any) -> bool:
        return True  # no window close, no Alt-F4: the kiosk stays up

    def _key(self, _window: Any, key: int, *_args: Any) -> bool:
        return key == 27  # Escape / Android back never leaves the app

    # --- helpers the kv files use ---
    def t(self, key: str, lang: str, **values: Any) -> str:
        return i18n.t(key, lang, **values)

    def fs(self, size: float, large: bool) -> float:
        return float(sp(size * (LARGE_SCALE if large else 1.0)))  # Kivy's sp() is untyped

    def toggle_lang(self) -> None:
        self.lang = "en" if self.lang == "zh" else "zh"

    def toggle_large(self) -> None:
        self.large = not self.large

    def bus_name(self, lang: str) -> str:
        return self.settings.bus.name_en if lang == "en" else self.settings.bus.name_zh

    def stop_line(self, lang: str, state: BusState | None) -> str:
        if state is None or state.visit is None:
            return i18n.t("not_at_stop", lang)
        line = i18n.t("stop_now", lang, stop=self.stop_name(state.visit.stop_id, state.visit.stop_name, lang))
        theme = state.visit.theme  # a themed session (专场) planned at headquarters
        return f"{line} · {i18n.t('theme_now', lang, theme=theme)}" if theme else line

    def stop_name(self, stop_id: str, fallback: str, lang: str) -> str:
        stop = self.settings.stop(stop_id)
        return i18n.name_of(stop, lang) if stop else fallback

    def local_hm(self, ts: float) -> str:
        import datetime as dt

        return dt.datetime.fromtimestamp(ts, self.settings.tz).strftime("%H:%M")

    def visit_when(self, arrive: float, depart: float, lang: str) -> str:
        """"今天 13:30–16:30" / "明天 09:00–11:30" / "11月28日 09:00–11:30": a visit on another day
        must never read like one later today."""
        import datetime as dt

        start = dt.datetime.fromtimestamp(arrive, self.settings.tz)
        today = dt.datetime.fromtimestamp(self.clock(), self.settings.tz).date()
        days = (start.date() - today).days
        if days in (0, 1):
            day = i18n.t("today" if days == 0 else "tomorrow", lang)
        else:
            day = start.strftime("%b %-d") if lang == "en" else f"{start.month}月{start.day}日"
        return f"{day} {self.local_hm(arrive)}–{self.local_hm(depart)}"

    def data_path(self, *parts: str) -> Path:
        return self.settings.data_dir.joinpath(*parts)
