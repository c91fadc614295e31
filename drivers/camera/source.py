"""Where the camera's frames come from, without OpenCV: the probe (run on every role at start)
reads these, so a kiosk that never shows the camera does not load cv2/numpy (~100 MB resident)."""
from __future__ import annotations

import os
from pathlib import Path

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"}
VIDEO_SUFFIXES = {".mp4", ".avi", ".mkv", ".mov", ".webm", ".mjpg", ".mjpeg"}


def shared_dir() -> Path:
    """The shared folder: $ZTC_SHARED_DIR, else ``shared`` beside the checkout."""
    env = os.environ.get("ZTC_SHARED_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[2] / ".." / "shared"


def default_sim_path() -> Path:
    return shared_dir() / "fixtures" / "documents"


def parse_source(source: str | int) -> str | int:
    """A device index (``0`` or ``"0"``) or a device path."""
    if isinstance(source, int):
        return source
    return int(source) if source.strip().isdigit() else source
