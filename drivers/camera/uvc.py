"""A UVC document camera through OpenCV's V4L2 backend.

Why MJPG and why that order: over USB 2.0 an 8 MP camera delivers full resolution only as MJPG
(raw YUYV caps out at a few hundred thousand pixels per frame), and V4L2 negotiates the size
within the current pixel format, so the FOURCC is set first, then width and height; afterwards
the real size is read back, because a camera silently falls back to what it supports.
Addressed by ``/dev/v4l/by-id/…`` so the right camera is found whichever USB port it is in.
"""
from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import Protocol

import cv2
import numpy as np

from drivers.camera.errors import CameraError
from drivers.camera.source import parse_source

__all__ = ["UvcReader", "parse_source"]

log = logging.getLogger(__name__)

class Capture(Protocol):
    """What the reader uses of a cv2.VideoCapture (tests pass a fake V4L2 device)."""

    def isOpened(self) -> bool: ...
    def release(self) -> None: ...
    def set(self, propId: int, value: float) -> bool: ...
    def get(self, propId: int) -> float: ...
    def read(self) -> tuple[bool, np.ndarray | None]: ...


CaptureFactory = Callable[[str | int, int], Capture | None]   # (source, api) -> the opened capture


def _video_capture(source: str | int, api: int) -> Capture:
    return cv2.VideoCapture(source, api)


class UvcReader:
    """Opens lazily in :meth:`open` (never in the constructor), so a missing camera is a status."""

    def __init__(self, source: str | int, width: int, height: int,
                 capture_factory: CaptureFactory = _video_capture):
        self.source = parse_source(source)
        self.name = f"uvc:{self.source}"
        self.width = width
        self.height = height
        self._factory = capture_factory
        self._cap: Capture | None = None

    def open(self) -> tuple[int, int]:
        if isinstance(self.source, str) and not os.path.exists(self.source):
            raise CameraError(f"高拍仪未连接（找不到 {self.source}）",
                              f"document camera not connected ({self.source} does not exist)")
        cap = self._factory(self.source, cv2.CAP_V4L2)
        if cap is None or not cap.isOpened():
            if cap is not None:
                cap.release()
            raise CameraError(f"高拍仪无法打开：{self.source}", f"document camera cannot be opened: {self.source}")
        cap.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter.fourcc(*"MJPG"))   # format first …
        cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.width)                    # … then the size
        cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.height)
        cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)   # the newest frame, not one queued seconds ago
        got = (int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
        if got != (self.width, self.height):
            log.warning("camera %s gives %dx%d instead of the configured %dx%d",
                        self.source, got[0], got[1], self.width, self.height)
        self._cap = cap
        return got

    def read(self) -> np.ndarray:
        if self._cap is None:
            raise CameraError("高拍仪未打开", "document camera is not open")
        ok, frame = self._cap.read()
        if not ok or frame is None:
            raise CameraError(f"高拍仪断开或无画面：{self.source}",
                              f"document camera unplugged or sends no picture: {self.source}")
        return frame

    def close(self) -> None:
        if self._cap is not None:
            try:
                self._cap.release()
            finally:
                self._cap = None
