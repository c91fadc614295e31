"""Kivy settings that must be made before Kivy creates its window (import this first).

Why: Kivy reads the command line, its config file and the fullscreen flag when ``kivy.core.window``
is first imported. A kiosk must not parse ztc's arguments, must not quit on Escape, and must not
show the multitouch red dots a mouse right-click makes.
"""
from __future__ import annotations

import os


def configure(fullscreen: bool, width: int = 1280, height: int = 800) -> None:
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_NO_FILELOG", "1")
    from kivy.config import Config

    Config.set("kivy", "exit_on_escape", "0")  # residents cannot leave the application
    Config.set("kivy", "pause_on_minimize", "0")
    Config.set("input", "mouse", "mouse,disable_multitouch")
    Config.set("graphics", "fullscreen", "auto" if fullscreen else "0")
    Config.set("graphics", "borderless", "1" if fullscreen else "0")
    Config.set("graphics", "width", str(width))
    Config.set("graphics", "height", str(height))
    Config.set("graphics", "show_cursor", "0" if fullscreen else "1")
