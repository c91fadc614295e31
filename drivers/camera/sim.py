"""The camera simulator: frames from an image file, a folder of images, or a video file.

It sits behind the same FrameReader interface as the UVC camera and can be unplugged and
plugged back (fault injection), so the reopen logic is tested on the same path as real hardware.
Default frames: the shared document fixtures (``../shared/fixtures/documents`` beside the
checkout, or ``$ZTC_SHARED_DIR/fixtures/documents``).
"""
from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import cv2
import numpy as np

from drivers.camera.errors import CameraError
from drivers.camera.source import IMAGE_SUFFIXES, VIDEO_SUFFIXES, default_sim_path, shared_dir

__all__ = ["IMAGE_SUFFIXES", "VIDEO_SUFFIXES", "SimReader", "default_sim_path", "shared_dir"]

class SimReader:
    """Shows one image at a time (like a sheet lying under the camera) or plays a video, at ``fps``.

    :meth:`next_document` puts the next image (in name order, looping) under the camera, as the
    crew would put down the next sheet.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None, fps: float = 5.0):
        self.path = Path(path) if path else default_sim_path()
        self.name = f"sim:{self.path}"
        self.fps = fps
        self._frames: list[np.ndarray] = []
        self._video: cv2.VideoCapture | None = None
        self._index = 0
        self._next_at = 0.0
        self._plugged = threading.Event()
        self._plugged.set()
        self._open = False

    def next_document(self) -> None:
        self._index += 1

    # fault injection -----------------------------------------------------------------------
    def unplug(self) -> None:
        """Behave like a camera whose USB cable was pulled: reads and opens fail."""
        self._plugged.clear()

    def plug(self) -> None:
        self._plugged.set()

    # FrameReader ---------------------------------------------------------------------------
    def open(self) -> tuple[int, int]:
        if not self._plugged.is_set():
            raise CameraError("模拟高拍仪已拔出", "simulated camera unplugged")
        if not self.path.exists():
            raise CameraError(f"模拟图像不存在：{self.path}", f"simulator source does not exist: {self.path}")
        if self.path.is_dir() or self.path.suffix.lower() in IMAGE_SUFFIXES:
            self._frames = self._frames or self._load_images()
            first = self._frames[0]
        else:
            self._video = cv2.VideoCapture(str(self.path))
            ok, frame = self._video.read() if self._video.isOpened() else (False, None)
            if not ok or frame is None:
                raise CameraError(f"无法读取视频：{self.path}", f"cannot read video: {self.path}")
            self._video.set(cv2.CAP_PROP_POS_FRAMES, 0)
            first = frame
        self._open = True
        self._next_at = time.monotonic()
        return first.shape[1], first.shape[0]

    def _load_images(self) -> list[np.ndarray]:
        files = ([p for p in sorted(self.path.iterdir()) if p.suffix.lower() in IMAGE_SUFFIXES]
                 if self.path.is_dir() else [self.path])
        frames = [f for f in (cv2.imread(str(p), cv2.IMREAD_COLOR) for p in files) if f is not None]
        if not frames:
            raise CameraError(f"没有可用的模拟图像：{self.path}", f"no readable images in {self.path}")
        return frames

    def read(self) -> np.ndarray:
        if not self._plugged.is_set():
            raise CameraError("模拟高拍仪已拔出", "simulated camera unplugged")
        if not self._open:
            raise CameraError("高拍仪未打开", "document camera is not open")
        delay = self._next_at - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        self._next_at = max(self._next_at, time.monotonic() - 1.0) + 1.0 / self.fps
        if self._video is not None:
            ok, frame = self._video.read()
            if not ok:  # end of the video: loop
                self._video.set(cv2.CAP_PROP_POS_FRAMES, 0)
                ok, frame = self._video.read()
            if not ok:
                raise CameraError(f"视频读取失败：{self.path}", f"video read failed: {self.path}")
            return frame
        return self._frames[self._index % len(self._frames)].copy()

    def close(self) -> None:
        self._open = False
        if self._video is not None:
            self._video.release()
            self._video = None
