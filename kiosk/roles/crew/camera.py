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
from ztc.text import Text

load_kv(__file__)

MAX_COPIES = 20


class CameraScreen(KioskScreen):
    frames_drawn = 0

    def on_kv_post(self, *args: Any) -> None:
        self._latest: tuple[int, int, bytes] | None = None
        self._lock = threading.Lock()
        self._draw_trigger = Clock.create_trigger(self._draw, 0)
        self.pages: list[Any] = []               # pipeline pages of the current document
        self.ticket_id: str | None = None        # the ticket they belong to (None: no ticket served)
        self.scan: dict[str, Any] | None = None  # the stored PDF of exactly these pages, once made
        self.copies = 1
        self.sheets: dict[str, int] = {}         # A4 job id → pages it prints (pages × copies)

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
        from kiosk.i18n import DEVICE_STATES, bilingual, pick

        words = pick(DEVICE_STATES.get(state["state"], Text(state["state"])), self.app.lang)
        detail = bilingual(str(state.get("detail", "")), self.app.lang)
        self.ids.status.text = f"{words} {detail}  ·  {self.t('pages_n', n=len(self.pages))}"
        self.ids.page_list.text = "  ".join(self.t("page_n", n=n) + (f"（{p.note}）" if p.note else "")
                                            for n, p in enumerate(self.pages, 1))
        self.ids.copy_button.text = self.t("copy_n", n=self.copies)
        for button in ("pdf_button", "print_button", "copy_button"):
            self.ids[button].disabled = not self.pages

    def capture(self) -> None:
        window = self.app.flow.get("window")

        def work() -> int:
            from ztc.documents.pipeline import process_frame

            page = process_frame(self.camera().capture(), "color")  # ~0.1 s of OpenCV: a worker's job
            ticket = self.app.engine.serving_ticket(window) if window else None
            ticket_id = ticket.id if ticket is not None else None
            if ticket_id != self.ticket_id:  # another resident: never mix their pages into this document
                self.pages, self.scan, self.ticket_id = [], None, ticket_id
            self.pages.append(page)
            self.scan = None                 # the stored PDF no longer holds every page
            if ticket_id is not None:
                self.app.engine.record_pages(ticket_id, scanned=1)
            return len(self.pages)

        self.app.bridge.call(work, on_done=lambda _n: self.refresh(), on_error=self._error)

    # --- the copy flow: PDF into the scan store, then prints through the A4 printer (CUPS) ---
    def change_copies(self, delta: int) -> None:
        self.copies = max(1, min(MAX_COPIES, self.copies + delta))
        self.refresh()

    def copy_service(self) -> Any:
        """Built on a worker on first use: the A4 printer and scan store are I/O, never on the UI thread."""
        service = self.app.services.get("copy_service")
        if service is None:
            service = self.app.services["copy_service"] = build_copy_service(self.app, self.camera())
        return service

    def _stored_scan(self) -> dict[str, Any]:
        """The PDF of the captured pages, stored once (linked to the ticket being served)."""
        if self.scan is None:
            from ztc.documents.copy_service import ScanSession

            session = ScanSession(self.ticket_id, "color", list(self.pages))
            self.scan = self.copy_service().finish(session)
        return self.scan

    def make_pdf(self) -> None:
        def work() -> dict[str, Any]:
            return self._stored_scan()

        self.app.bridge.call(work, on_done=lambda scan: self._say("pdf_saved", n=scan["pages"]),
                             on_error=self._error)

    def print_copies(self, copies: int) -> None:
        def work() -> Any:
            scan = self._stored_scan()
            result = self.copy_service().print_file(scan["path"], copies, self.ticket_id)
            self.job_tracker().track(result.job_id)   # CUPS took it; the tracker says when it is on paper
            return result

        self.ids.message.text = self.t("working")
        self.app.bridge.call(work, on_done=self._submitted, on_error=self._error)

    def job_tracker(self) -> Any:
        """One tracker per kiosk (``services["a4_jobs"]``: the app stops it on exit); reports come
        from its thread and are handed to the UI thread."""
        tracker = self.app.services.get("a4_jobs")
        if tracker is None:
            from drivers.a4_printer.jobs import JobTracker

            tracker = self.app.services["a4_jobs"] = JobTracker(
                self.copy_service().printer, lambda event: Clock.schedule_once(lambda _dt: self._job_event(event), 0))
        return tracker

    def _submitted(self, result: Any) -> None:
        self.sheets[result.job_id] = result.pages * result.copies
        self._say("a4_job_queued", job=result.job_id, n=self.sheets[result.job_id])

    def _job_event(self, event: Any) -> None:
        """A tracked A4 job changed: printed, waiting behind a stopped printer, or failed."""
        from drivers.a4_printer import PrinterError

        if isinstance(event, PrinterError):
            self.ids.message.text = event.en if self.app.lang == "en" else event.zh
            return
        n = self.sheets.get(event.job_id, 0)
        key = {"completed": "a4_job_done", "processing": "a4_job_printing", "canceled": "a4_job_failed",
               "aborted": "a4_job_failed"}.get(event.state, "a4_job_queued")
        self._say(key, job=event.job_id, n=n)

    def _say(self, key: str, **values: Any) -> None:
        self.ids.message.text = self.t(key, **values)
        self.refresh()



class _PrintedPagesOnly:
    """Counts only printed pages into the ticket: scanned pages are counted per capture already
    (the crew see the count rise as they shoot), so storing the PDF must not count them twice."""

    def __init__(self, engine: Any):
        self.engine = engine

    def record_pages(self, ticket_id: str, scanned: int = 0, printed: int = 0) -> None:
        if printed:
            self.engine.record_pages(ticket_id, printed=printed)


def build_copy_service(app: Any, camera: Any) -> Any:
    """The copy service of this kiosk: ``services["a4_printer"]`` (tests) or the configured queue."""
    from drivers.a4_printer import A4Printer
    from ztc.documents.copy_service import CopyService
    from ztc.documents.storage import ScanStore

    settings = app.settings
    printer = app.services.get("a4_printer") or A4Printer.from_settings(settings.devices.a4_printer)
    store = ScanStore(app.engine.db, settings.data_dir, settings.devices.camera.scan_retention_days, app.clock)
    return CopyService(camera, printer, store, _PrintedPagesOnly(app.engine))
