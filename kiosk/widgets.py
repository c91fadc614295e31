"""Shared touch widgets: big buttons, a numeric keypad, the top bar, and the screen base class.

Why: residents never type Chinese, so every input is a pick-list button or a digit keypad; the
sizes come from ``app.fs`` so the large-text mode (长者模式) scales every one of them.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.lang import Builder
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.gridlayout import GridLayout
from kivy.uix.screenmanager import Screen

from kiosk.i18n import bilingual, t
from ztc.text import Text


def load_kv(module_file: str) -> None:
    """Load the ``.kv`` file next to a screen module (one small kv file per screen)."""
    Builder.load_file(str(Path(module_file).with_suffix(".kv")))


load_kv(__file__)


class BigButton(Button):
    """A touch target at least 80 px high with high-contrast colours."""

    role = StringProperty("primary")  # primary | secondary | danger | choice
    chosen = BooleanProperty(False)


class Keypad(GridLayout):
    """Digits only (0-9, delete, clear); ``value`` holds what was typed, up to ``max_len``."""

    value = StringProperty("")
    max_len = NumericProperty(6)

    def press(self, key: str) -> None:
        if key == "del":
            self.value = self.value[:-1]
        elif key == "clear":
            self.value = ""
        elif key.isdigit() and len(self.value) < self.max_len:
            self.value += key


class TopBar(BoxLayout):
    """Bus name, current stop, and the language / large-text switches on every screen."""


class KioskScreen(Screen):
    """A screen that redraws itself from ``app.state``; ``refresh`` is called on enter and on change."""

    def __init__(self, **kwargs: Any):
        # The app that built this screen (not whichever app runs later: a timer of a screen must
        # never drive another app instance, e.g. in tests that start the app many times).
        self._app = App.get_running_app()
        super().__init__(**kwargs)

    @property
    def app(self) -> Any:
        return self._app

    def on_pre_enter(self, *args: Any) -> None:
        self.refresh()

    def refresh(self) -> None:
        """Rebuild the parts that depend on the bus state or the language."""

    def t(self, key: str, **values: Any) -> str:
        return t(key, self.app.lang, **values)

    def _error(self, error: Exception) -> None:
        """A failed bridge call, in ``ids.message``, in the kiosk language: ``zh``/``en`` of a
        QueueError (its ``message``) or PrinterError, one side of a "中文 / English" message, else the text as it is."""
        message = getattr(error, "message", None)
        if isinstance(message, Text):
            text = message.pick(self.app.lang)
        else:
            text = getattr(error, "en" if self.app.lang == "en" else "zh", None) or bilingual(str(error), self.app.lang)
        self.ids.message.text = text[:200]

    def fill(self, container: Any, widgets: list[Any]) -> None:
        container.clear_widgets()
        for w in widgets:
            container.add_widget(w)

    def button(self, text: str, on_release: Any, role: str = "primary", **kw: Any) -> BigButton:
        b = BigButton(text=text, role=role, **kw)
        b.bind(on_release=lambda *_: on_release())
        return b

    def label(self, text: str, size: float = 24, **kw: Any) -> Any:
        from kivy.factory import Factory

        lab = Factory.BodyLabel(text=text, **kw)
        lab.font_size = self.app.fs(size, self.app.large)
        return lab
