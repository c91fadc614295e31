"""Document camera tab: the live preview and page captures, counted on the window's ticket.

Why this shape: frames arrive on the camera's worker thread; there they are flipped and turned
into bytes, and only a throttled trigger blits the newest one into a texture on the UI thread, so
a slow camera or a busy CPU drops preview frames instead of freezing the console.
"""
from __future__ import annotations

import threading
from typing import Any

import numpy as np
from kivy.clock import Clock
from kivy.graphics.texture import Texture

from kiosk.widgets import KioskScreen, load_kv

load_kv(__file__)


class CameraScreen(KioskScreen):
    frames_drawn = 0

    def on_kv_post(self, *args: Any) -> None:
        self._latest: tuple[int, int, bytes] | None = None
        self._lock = threading.Lock()
        self._draw_trigger = Clock.create_trigger(self._draw, 0)
        self.pages: list[Any] = []

    def camera(self) -> Any:
        cam = self.app.services.get("camera")
        if cam is None:
            from drivers.camera import camera_from_settings

            cam = self.app.services["camera"] = camera_from_settings(self.app.settings.devices.camera)
        return cam

    def on_enter(self, *args: Any) -> None:
        cam = self.camera()
        cam.on_preview = self._frame_in
        self.app.bridge.call(cam.start, changes=False)  # opening a device is I/O: not on this thread

    def on_leave(self, *args: Any) -> None:
        cam = self.app.services.get("camera")
        if cam is not None:
            cam.on_preview = None
            self.app.bridge.call(cam.stop, changes=False)

    def _frame_in(self, frame: np.ndarray) -> None:
        """Camera worker thread: prepare the bytes, then ask the UI thread to draw (coalesced)."""
        h, w = frame.shape[:2]
        data = np.ascontiguousarray(frame[::-1]).tobytes()  # OpenGL rows go bottom-up
        with self._lock:
            self._latest = (w, h, data)
        self._draw_trigger()

    def _draw(self, _dt: float) -> None:
        with self._lock:
            latest, self._latest = self._latest, None
        if latest is None:
            return
        w, h, data = latest
        image = self.ids.preview
        tex = image.texture
        if tex is None or tex.size != (w, h):
            tex = Texture.create(size=(w, h), colorfmt="bgr")
        tex.blit_buffer(data, colorfmt="bgr", bufferfmt="ubyte")
        image.texture = tex
        image.canvas.ask_update()
        self.frames_drawn += 1
        if self.frames_drawn % 25 == 1:
            self.refresh()  # the device state line (cheap: a cached status)

    def refresh(self) -> None:
        status = self.app.services.get("camera")
        state = status.get_status() if status is not None else {"state": "absent", "detail": ""}
        self.ids.status.text = f"{state['state']} {state.get('detail', '')}  ·  {self.t('pages_n', n=len(self.pages))}"

    def capture(self) -> None:
        window = self.app.flow.get("window")

        def work() -> int:
            from ztc.documents.pipeline import process_frame

            page = process_frame(self.camera().capture(), "color")  # ~0.1 s of OpenCV: a worker's job
            self.pages.append(page)
            ticket = self.app.engine.serving_ticket(window) if window else None
            if ticket is not None:
                self.app.engine.record_pages(ticket["id"], scanned=1)
            return len(self.pages)

        self.app.bridge.call(work, on_done=lambda _n: self.refresh(), on_error=self._error)

    def _error(self, error: Exception) -> None:
        self.ids.status.text = str(error)[:200]
