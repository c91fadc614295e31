"""Drive the real KioskApp in-process: real frames, real touch events, real screenshots.

Why in-process: a Kivy window is per process; keeping one under Xvfb for the whole session and
mounting each test's app into it makes a test cost a few frames instead of a cold start.
"""
from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kivy.base import EventLoop
from kivy.core.window import Window
from kivy.lang.parser import global_idmap
from kivy.tests.common import UnitTestTouch
from kivy.uix.button import Button
from kivy.uix.label import Label
from kivy.uix.scrollview import ScrollView
from PIL import Image

from kiosk.app import KioskApp
from tests.kiosk.conftest import artifacts_dir

# The extracted SC face is shared by all tests of a run (extracting costs ~1 s per test otherwise).
FONT_CACHE = Path(tempfile.gettempdir()) / f"ztc-kiosk-test-fonts-{os.getuid()}"


class Harness:
    def __init__(self, role: str, settings: Any, clock: Any, services: dict[str, Any]):
        self.app = KioskApp(role, settings, clock=clock, services=services, font_cache=FONT_CACHE)
        # kv's ``app`` is a proxy that caches the first running app it sees until that app stops; a
        # binding of the previous app's widgets evaluated after its stop would pin it to the old app.
        object.__setattr__(global_idmap["app"], "_obj", None)
        self.nav: list[str] = []  # every screen change with its caller, for failure messages
        go = self.app.go

        def logged_go(name: str) -> None:
            import traceback

            caller = traceback.extract_stack(limit=4)[0]
            self.nav.append(f"{name} <- {Path(caller.filename).name}:{caller.lineno} {caller.name}")
            go(name)

        self.app.go = logged_go
        self.app._run_prepare()  # build, mount in the window, on_start: what App.run does before the loop
        self.pump(until=lambda: self.app.state is not None)

    @property
    def screen(self) -> Any:
        return self.app.sm.current_screen

    def pump(self, seconds: float = 0.0, until: Callable[[], bool] | None = None, timeout: float = 15.0) -> None:
        """Run frames for ``seconds``, or until ``until()`` holds (fails after ``timeout``)."""
        deadline = time.monotonic() + (seconds if until is None else timeout)
        while True:
            EventLoop.idle()
            if until is not None and until():
                return
            if time.monotonic() >= deadline:
                if until is not None:
                    raise AssertionError(f"condition not reached within {timeout} s (screen {self.app.sm.current})")
                return

    def settle(self) -> None:
        """Wait until every worker call answered and the state poller caught up."""
        self.pump(until=lambda: self.app.bridge.pending == 0)
        started = self.app.poller.reads_started
        self.app.poller.poke()
        self.pump(until=lambda: self.app.poller.reads >= started + 1)
        self.pump(0.15)  # the redraw trigger fires

    def tap(self, widget: Any, settle: bool = True) -> None:
        """A real touch down/up at the widget's centre, through Kivy's input pipeline. ``settle``:
        run a few frames first (a screen just shown is sized on the next frames)."""
        if settle:
            self._frames()
        assert widget.get_root_window() is not None, f"{widget} is not on screen"
        x, y = widget.to_window(*widget.center)
        parent = widget.parent
        while parent is not None and parent is not parent.parent:  # a ScrollView clips what it scrolls
            if isinstance(parent, ScrollView):
                sx, sy = parent.parent.to_window(*parent.pos)
                inside = sx <= x <= sx + parent.width and sy <= y <= sy + parent.height
                assert inside, f"{widget} is scrolled out of view"
            parent = parent.parent
        touch = UnitTestTouch(x, y)
        touch.touch_down()
        EventLoop.idle()
        touch.touch_up()
        EventLoop.idle()

    def tap_id(self, widget_id: str) -> None:
        self.tap(self.screen.ids[widget_id])

    def buttons(self) -> list[Button]:
        root = self.app.root
        return [w for w in root.walk(restrict=True) if isinstance(w, Button) and w.get_root_window() is not None]

    def button(self, contains: str) -> Button:
        found = [b for b in self.buttons() if contains in b.text and not b.disabled]
        seen = [b.text for b in self.buttons()]
        assert found, f"no enabled button with {contains!r} on {self.app.sm.current}: {seen}"
        return found[0]

    def tap_text(self, contains: str) -> None:
        """Find the button after the frames have run, not before: a state refresh during those
        frames may rebuild the screen's buttons, and the one found earlier is then gone."""
        self._frames()
        self.tap(self.button(contains), settle=False)

    @staticmethod
    def _frames() -> None:
        for _ in range(3):
            EventLoop.idle()

    def texts(self) -> str:
        """All text visible on the current screen and the top bar, joined (for assertions)."""
        return "\n".join(w.text for w in self.app.root.walk(restrict=True)
                         if isinstance(w, Label) and w.text and w.opacity > 0)

    def screenshot(self, name: str) -> Path:
        """Save the frame as test-artifacts/kiosk/<name>.png and check it is not blank."""
        self.pump(0.2)
        EventLoop.idle()
        raw = Path(Window.screenshot(str(artifacts_dir() / f"{name}.png")))
        final = artifacts_dir() / f"{name}.png"
        raw.replace(final)
        img = Image.open(final).convert("L")
        lo, hi = img.getextrema()
        assert hi - lo > 100, f"screenshot {name} looks blank (levels {lo}..{hi})"
        assert len(img.getcolors(1 << 16) or []) > 20, f"screenshot {name} has almost no detail"
        return final

    def close(self) -> None:
        app = self.app
        app.dispatch("on_stop")
        if app.root is not None:
            Window.remove_widget(app.root)
        EventLoop.idle()
