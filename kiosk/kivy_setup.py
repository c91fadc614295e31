"""Kivy settings that must be made before Kivy creates its window (import this first).

Why: Kivy reads the command line, its config file and the fullscreen flag when ``kivy.core.window``
is first imported. A kiosk must not parse ztc's arguments, must not quit on Escape, and must not
show the multitouch red dots a mouse right-click makes. Multisampling is off by default: the screens
are flat rectangles and text textures, which antialiasing does not improve, and Kivy's default 2×
MSAA doubled the cost of every redraw in the frame-gap benchmark (software OpenGL: 52–65 → 26–29 ms
per redraw without it). ``kiosk.multisamples`` turns it back on for a GPU that does it for free.
"""
from __future__ import annotations

import os


def configure(fullscreen: bool, width: int = 1280, height: int = 800, multisamples: int = 0) -> None:
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_NO_FILELOG", "1")
    from kivy.config import Config  # type: ignore[import-untyped]  # Kivy ships no type information

    Config.set("kivy", "exit_on_escape", "0")  # residents cannot leave the application
    Config.set("kivy", "pause_on_minimize", "0")
    Config.set("input", "mouse", "mouse,disable_multitouch")
    Config.set("graphics", "fullscreen", "auto" if fullscreen else "0")
    Config.set("graphics", "borderless", "1" if fullscreen else "0")
    Config.set("graphics", "width", str(width))
    Config.set("graphics", "height", str(height))
    Config.set("graphics", "show_cursor", "0" if fullscreen else "1")
    Config.set("graphics", "multisamples", str(multisamples))
