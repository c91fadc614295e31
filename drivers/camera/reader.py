"""The one interface every frame source implements (a UVC camera, the simulator).

Kept to open / read / close so the threaded :class:`drivers.camera.camera.Camera` does all the
policy (warm-up, reopen with backoff, preview) once, whatever the source.
"""
from __future__ import annotations

from typing import Protocol

import numpy as np


class FrameReader(Protocol):
    """A source of BGR frames. ``open`` and ``read`` raise CameraError with a clear message."""

    name: str

    def open(self) -> tuple[int, int]:
        """Open the device; returns the (width, height) it really delivers."""
        ...

    def read(self) -> np.ndarray:
        """The next frame; blocks at most about a frame period; CameraError when the device is gone."""
        ...

    def close(self) -> None:
        """Release the device; safe to call twice."""
        ...
