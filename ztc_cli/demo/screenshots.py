"""Screenshots of a whole X display (one kiosk role per virtual screen in the headless demo).

Why Pillow's X grab: it talks to the X server over XCB directly, so no extra Debian tool is needed,
and it sees exactly what a resident would see on that screen.
"""
from __future__ import annotations

import time
from pathlib import Path

from PIL import Image, ImageGrab


def grab(display: str) -> Image.Image:
    return ImageGrab.grab(xdisplay=display)


def drawn(image: Image.Image) -> bool:
    """False while the screen is still one flat colour (the window has not drawn its first frame)."""
    # An RGB image answers one (min, max) pair per band; Pillow's type also allows one image-wide pair.
    return any(isinstance(band, tuple) and band[0] != band[1] for band in image.convert("RGB").getextrema())


def save_when_drawn(display: str, path: Path, timeout_s: float = 90.0, settle_s: float = 3.0) -> bool:
    """Wait for the first drawn frame, let the screen settle, save a PNG; False if nothing was drawn."""
    deadline = time.monotonic() + timeout_s
    image = grab(display)
    while not drawn(image) and time.monotonic() < deadline:
        time.sleep(0.5)
        image = grab(display)
    if drawn(image):
        time.sleep(settle_s)
        image = grab(display)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
    return drawn(image)
