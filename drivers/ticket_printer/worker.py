"""The ticket printer: a job queue with one worker thread that owns the transport.

Why one worker: the kiosk's UI thread must never block on a printer, and a serial line or a
9100 socket must never be written by two threads at once. Everything that touches the device —
opening it (lazily, on the first job), status queries, writing tickets, reopening after a loss
with backoff — happens on this thread; callers get a ``PrintJob`` at once and a cached status.

Where a ticket is drawn: native mode always on this thread (~1 ms of text commands). Raster mode
(~50 ms of Pillow work holding the GIL) on this thread too by default — right for a short-lived CLI
— or, with ``render_in_process=True`` (the kiosk), in a spawned helper process
(``render_process.RenderProcess``) so the kiosk's UI thread keeps the interpreter; the worker
only waits for the bytes, and falls back to drawing them itself if that process fails.
"""
from __future__ import annotations

import collections
import enum
import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from drivers.ticket_printer.content import TicketContent
from drivers.ticket_printer.jobs import PrinterFault, PrintJob
from drivers.ticket_printer.layout import ticket_layout
from drivers.ticket_printer.render_process import RenderProcess
from drivers.ticket_printer.status import MESSAGES, PRINTER_NOT_CONNECTED, PrinterStatus, read_status
from drivers.ticket_printer.transports import Transport, TransportError
from ztc.text import Text

log = logging.getLogger(__name__)

# Why a job failed, as the crew and headquarters read it (PrintJob.error, status last_job).
CLOSED_BEFORE_PRINTED = Text("打印机已关闭，票未打印", "printer closed before the ticket was printed")
SOFTWARE_ERROR = Text("打印程序出错", "printer software error: {error}")
LAYOUT_FAILED = Text("票面排版失败", "could not lay out the ticket: {error}")
LINK_LOST = Text("打印失败：与打印机的连接中断", "print failed, printer link lost: {error}")
PAPER_RAN_OUT = Text("打印中缺纸，票可能不完整", "paper ran out while printing; the ticket may be incomplete")
JOB_PRINTED = Text("{label} 已打印", "printed")
JOB_FAILED = Text("{label} 失败", "failed: {error}")

TextMode = Literal["raster", "native"]
DEFAULT_BACKOFF_S = (0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0)


def render_ticket(content: TicketContent, paper_width_mm: int, text_mode: TextMode) -> bytes:
    """The ESC/POS bytes of one ticket in the configured mode.

    The renderers are imported here, not at the top: they pull in python-escpos (and Pillow and
    qrcode for raster), which a kiosk drawing its raster tickets in the render process never needs.
    """
    layout = ticket_layout(content, paper_width_mm)
    if text_mode == "native":
        from drivers.ticket_printer.native import render_native

        return render_native(layout)
    from drivers.ticket_printer.raster import render_raster

    return render_raster(layout)


@dataclass(eq=False)
class _StatusRequest:
    done: threading.Event = field(default_factory=threading.Event)


class _Signal(enum.Enum):
    """Queue items that are neither a job nor a status request."""

    STOP = enum.auto()
    WARM_UP = enum.auto()


_STOP: Final = _Signal.STOP
_WARM_UP: Final = _Signal.WARM_UP


class TicketPrinter:
    """Submit tickets without blocking; read ``get_status()`` without blocking."""

    def __init__(self, transport: Transport, paper_width_mm: int = 80, text_mode: TextMode = "raster",
                 retries: int = 1, status_timeout_s: float = 1.0, io_timeout_s: float = 5.0,
                 poll_interval_s: float | None = 30.0, backoff_s: Sequence[float] = DEFAULT_BACKOFF_S,
                 on_done: Callable[[PrintJob], None] | None = None, render_in_process: bool = False):
        self.transport = transport
        self.paper_width_mm = paper_width_mm
        self.text_mode: TextMode = text_mode
        self.retries = retries
        self.status_timeout_s = status_timeout_s
        self.io_timeout_s = io_timeout_s
        self.poll_interval_s = poll_interval_s
        self.backoff_s = tuple(backoff_s) or (1.0,)
        self.on_done = on_done
        self.failed: collections.deque[PrintJob] = collections.deque(maxlen=100)
        self._status = PrinterStatus(device=transport.name)
        self._lock = threading.Lock()
        self._queue: queue.Queue[PrintJob | _StatusRequest | _Signal] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._losses = 0              # consecutive failures to reach the printer (drives the backoff)
        self._next_poll_at = 0.0
        # Created now, started on the worker thread (warm_up() or the first raster job), never here.
        self.renderer: RenderProcess | None = RenderProcess() if render_in_process else None

    # --- caller side (any thread, never blocks on the device) -------------------------------------

    def submit(self, content: TicketContent) -> PrintJob:
        """Queue a ticket; rendering and printing happen on the worker thread."""
        return self._enqueue(PrintJob(content=content, label=content.number + (" (副本 copy)" if content.copy else "")))

    def submit_raw(self, data: bytes, label: str) -> PrintJob:
        """Queue already-rendered bytes (diagnostics, benchmarks)."""
        return self._enqueue(PrintJob(content=None, data=data, label=label))

    def get_status(self) -> dict[str, Any]:
        """The last known condition, as a dict with PROTOCOL.md's ``state`` and ``detail``."""
        with self._lock:
            self._status.jobs_pending = self._queue.qsize()
            return self._status.to_dict()

    def health(self) -> dict[str, str]:
        with self._lock:
            return self._status.health()

    def refresh_status(self, timeout: float | None = None) -> dict[str, Any]:
        """Ask the printer now (on the worker thread) and wait up to ``timeout`` for the answer."""
        request = _StatusRequest()
        self._ensure_worker()
        self._queue.put(request)
        request.done.wait(timeout)
        return self.get_status()

    def warm_up(self) -> None:
        """Start the worker now and, in raster mode with ``render_in_process``, the render process.

        Long-lived callers (the kiosk) call this at start so the first resident's ticket finds the
        render process warm. Returns at once; the device itself is still opened only by a job.
        """
        self._ensure_worker()
        self._queue.put(_WARM_UP)

    def close(self, timeout: float = 10.0) -> None:
        """Stop the worker and the render process; jobs still queued are reported failed (never dropped)."""
        if self._thread is not None and self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join(timeout)
        self._thread = None
        self._fail_queued()
        if self.renderer is not None:
            self.renderer.close()
        self.transport.close()

    def __enter__(self) -> TicketPrinter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _enqueue(self, job: PrintJob) -> PrintJob:
        self._ensure_worker()
        self._queue.put(job)
        return job

    def _ensure_worker(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name=f"ticket-printer {self.transport.name}",
                                            daemon=True)
            self._thread.start()

    def _fail_queued(self) -> None:
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return
            if isinstance(item, PrintJob):
                self._failed(item, str(CLOSED_BEFORE_PRINTED))
            elif isinstance(item, _StatusRequest):
                item.done.set()

    # --- worker thread ---------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            try:
                item = self._queue.get(timeout=self.poll_interval_s)
            except queue.Empty:
                self._poll()
                continue
            if item is _STOP:
                return
            if item is _WARM_UP:
                if self.renderer is not None and self.text_mode == "raster":
                    self.renderer.start()
                elif self.text_mode == "native":
                    import drivers.ticket_printer.native  # noqa: F401  (drawn here: the first ticket finds it loaded)
                continue
            try:
                if isinstance(item, _StatusRequest):
                    self._query_status()
                    item.done.set()
                else:
                    self._do_job(item)
            except Exception as e:   # the worker must survive anything: report, keep serving
                log.exception("ticket printer worker: unexpected error")
                if isinstance(item, PrintJob) and not item.finished:
                    self._failed(item, str(SOFTWARE_ERROR.format(error=e)))
                elif isinstance(item, _StatusRequest):
                    item.done.set()

    def _poll(self) -> None:
        """Idle-time status check, spaced out by the backoff while the printer is unreachable."""
        if time.monotonic() >= self._next_poll_at:
            self._query_status()

    def _query_status(self) -> None:
        try:
            self.transport.open()
            reading = read_status(self.transport, self.status_timeout_s)
            with self._lock:
                self._status.apply(reading)
                self._status.last_error = None   # the printer is reachable again: what it says now counts
            self._losses = 0
            self._next_poll_at = 0.0
        except TransportError as e:
            self._lost(e)
        finally:
            if not self.transport.keep_open:
                self.transport.close()

    def _do_job(self, job: PrintJob) -> None:
        job.state = "printing"
        if job.data is None:
            assert job.content is not None
            try:
                job.data = self._render(job.content)
            except Exception as e:
                log.exception("rendering ticket %s", job.label)
                self._failed(job, str(LAYOUT_FAILED.format(error=e)))
                return
        attempts = 1 + self.retries
        for attempt in range(1, attempts + 1):
            job.attempts = attempt
            try:
                self._print_once(job, job.data)
            except PrinterFault as e:
                self._failed(job, str(e))
                return
            except TransportError as e:
                self._lost(e)
                if attempt < attempts:
                    log.warning("ticket %s: %s; retrying (%d/%d)", job.label, e, attempt, self.retries)
                    time.sleep(self._backoff())
                    continue
                self._failed(job, str(LINK_LOST.format(error=e)))
                return
            finally:
                if not self.transport.keep_open:
                    self.transport.close()
            self._succeeded(job)
            return

    def _render(self, content: TicketContent) -> bytes:
        """Native here; raster in the render process when there is one (it falls back to here)."""
        if self.renderer is not None and self.text_mode == "raster":
            return self.renderer.render(ticket_layout(content, self.paper_width_mm))
        return render_ticket(content, self.paper_width_mm, self.text_mode)

    def _print_once(self, job: PrintJob, data: bytes) -> None:
        t = self.transport
        t.open()
        with self._lock:
            self._status.connected = True
        if t.can_read and self._status.answers_status is not False:
            before = read_status(t, self.status_timeout_s)
            with self._lock:
                self._status.apply(before)
            fault = before.blocking_fault
            if fault:
                raise PrinterFault(str(MESSAGES[fault]))
        t.write(data)
        job.bytes_sent = len(data)
        if t.can_read and self._status.answers_status:
            # The reply comes after the printer took in the whole ticket: it confirms delivery, and
            # tells whether the paper ran out while printing.
            after = read_status(t, self.io_timeout_s + self.status_timeout_s)
            job.confirmed = after.answered
            if after.answered:
                with self._lock:
                    self._status.apply(after)
                if after.paper == "out":
                    raise PrinterFault(str(PAPER_RAN_OUT))
                if after.blocking_fault:
                    raise PrinterFault(str(MESSAGES[after.blocking_fault]))
            else:
                log.warning("ticket %s sent, but the printer did not confirm it", job.label)

    def _backoff(self) -> float:
        return self.backoff_s[min(max(self._losses - 1, 0), len(self.backoff_s) - 1)]

    def _lost(self, e: TransportError) -> None:
        self._losses += 1
        self._next_poll_at = time.monotonic() + self._backoff()
        self.transport.close()
        with self._lock:
            self._status.connected = False
            self._status.last_error = str(PRINTER_NOT_CONNECTED.format(error=e))
        log.warning("ticket printer: %s", e)

    def _succeeded(self, job: PrintJob) -> None:
        self._losses = 0
        with self._lock:
            self._status.last_error = None
            self._status.last_job = str(JOB_PRINTED.format(label=job.label))
        job.finish()
        log.info("ticket %s printed (%d bytes, %d attempt(s))", job.label, job.bytes_sent, job.attempts)
        self._notify(job)

    def _failed(self, job: PrintJob, error: str) -> None:
        with self._lock:
            self._status.last_error = error
            self._status.last_job = str(JOB_FAILED.format(label=job.label, error=error))
        job.finish(error)
        self.failed.append(job)
        log.error("ticket %s NOT printed: %s", job.label, error)
        self._notify(job)

    def _notify(self, job: PrintJob) -> None:
        if self.on_done is None:
            return
        try:
            self.on_done(job)
        except Exception:
            log.exception("on_done callback for ticket %s", job.label)
