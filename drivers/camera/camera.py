"""The document camera as the crew screen uses it: a live preview and full-resolution captures.

A worker thread owns the FrameReader (device I/O never runs on the UI thread). It opens the
device lazily (when :meth:`Camera.start` is called, never in the constructor), drops the first
frames while exposure settles, keeps the newest full-resolution frame and a small preview copy,
and when the device fails it reports that in :meth:`get_status` and reopens with a doubling
backoff (0.5 s … ``reopen_max_s``) instead of giving up: a camera plugged back in just works.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import cv2
import numpy as np

from drivers.camera.errors import CameraError
from drivers.camera.reader import FrameReader
from ztc.text import Text

log = logging.getLogger(__name__)

NOT_STARTED = Text("未启动", "not started")
OPENING = Text("正在打开", "opening")
STOPPED = Text("已停止", "stopped")

FIRST_BACKOFF_S = 0.5


class Camera:
    """Threaded camera; ``on_preview(frame)`` is called from the worker thread (hand it to the UI
    with ``Clock.schedule_once``)."""

    def __init__(self, reader: FrameReader, preview_width: int = 640, warmup_frames: int = 5,
                 reopen_max_s: float = 10.0, on_preview: Callable[[np.ndarray], None] | None = None):
        self.reader = reader
        self.preview_width = preview_width
        self.warmup_frames = warmup_frames
        self.reopen_max_s = reopen_max_s
        self.on_preview = on_preview
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._frame: np.ndarray | None = None
        self._preview: np.ndarray | None = None
        self._seq = 0
        self._state = "absent"
        self._detail = str(NOT_STARTED)
        self._size: tuple[int, int] | None = None
        self._error = CameraError("高拍仪未启动", "camera not started")
        self.open_attempts = 0

    # lifecycle ------------------------------------------------------------------------------
    def start(self) -> None:
        if self._thread and self._thread.is_alive():
            return
        self._stop.clear()
        self._set_state("offline", str(OPENING))
        self._thread = threading.Thread(target=self._run, name=f"camera {self.reader.name}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        if self._thread:
            self._thread.join(timeout=5)
        self._thread = None
        self.reader.close()
        self._set_state("absent", str(STOPPED))

    def __enter__(self) -> Camera:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # what the UI and services ask --------------------------------------------------------------
    def get_status(self) -> dict[str, Any]:
        """Device health as PROTOCOL.md's ``health.devices`` entry."""
        with self._cond:
            status: dict[str, Any] = {"state": self._state, "detail": self._detail}
            if self._size:
                status["resolution"] = f"{self._size[0]}x{self._size[1]}"
            return status

    def preview(self) -> np.ndarray | None:
        """The newest small frame for the live picture, or None before the first one."""
        with self._cond:
            return self._preview

    def capture(self, timeout_s: float = 5.0) -> np.ndarray:
        """A full-resolution frame taken after this call (not a stale one); CameraError if none comes."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            wanted = self._seq + 1
            while self._seq < wanted:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._stop.is_set():
                    err = self._error
                    raise CameraError(f"拍摄失败：{err.zh}", f"capture failed: {err.en}")
                self._cond.wait(remaining)
            assert self._frame is not None
            return self._frame.copy()

    # worker --------------------------------------------------------------------------------------
    def _set_state(self, state: str, detail: str) -> None:
        with self._cond:
            changed = (state, detail) != (self._state, self._detail)
            self._state, self._detail = state, detail
        if changed:
            (log.info if state == "ok" else log.warning)("camera %s: %s (%s)", self.reader.name, state, detail)

    def _open(self) -> bool:
        self.open_attempts += 1
        try:
            size = self.reader.open()
            for _ in range(self.warmup_frames):
                self.reader.read()
        except CameraError as e:
            self.reader.close()
            self._error = e
            self._set_state("offline", str(e))
            return False
        except Exception as e:  # an OpenCV/driver error must not end the worker
            log.exception("camera %s open crashed", self.reader.name)
            self.reader.close()
            self._error = CameraError("高拍仪打开异常", f"camera open failed: {e}")
            self._set_state("error", str(self._error))
            return False
        with self._cond:
            self._size = size
        self._error = CameraError("等待画面超时", "no frame in time")
        self._set_state("ok", f"{size[0]}x{size[1]}")
        return True

    def _run(self) -> None:
        backoff = FIRST_BACKOFF_S
        opened = False
        while not self._stop.is_set():
            if not opened:
                opened = self._open()
                if not opened:
                    self._stop.wait(backoff)
                    backoff = min(backoff * 2, self.reopen_max_s)
                    continue
                backoff = FIRST_BACKOFF_S
            try:
                frame = self.reader.read()
            except CameraError as e:
                self.reader.close()
                opened = False
                self._error = e
                self._set_state("offline", str(e))
                continue
            except Exception as e:  # a driver bug must not kill the worker silently
                log.exception("camera %s read crashed", self.reader.name)
                self.reader.close()
                opened = False
                self._error = CameraError("高拍仪读取异常", f"camera read failed: {e}")
                self._set_state("error", str(self._error))
                self._stop.wait(backoff)
                continue
            self._publish(frame)

    def _publish(self, frame: np.ndarray) -> None:
        h, w = frame.shape[:2]
        step = max(1, w // (self.preview_width * 2))   # cheap subsample, then a quality resize
        small = frame[::step, ::step]
        ph = max(1, round(h * self.preview_width / w))
        preview = cv2.resize(small, (self.preview_width, ph), interpolation=cv2.INTER_AREA)
        with self._cond:
            self._frame = frame
            self._preview = preview
            self._seq += 1
            self._cond.notify_all()
        if self.on_preview is not None:
            try:
                self.on_preview(preview)
            except Exception:
                log.exception("camera preview callback failed")
