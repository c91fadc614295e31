"""Follows A4 jobs in the background until CUPS says they are done, for the crew screen.

Why a tracker and not ``wait``: the crew keep working while a 20-page form prints; they need a
line "A4 job 12: printed / stopped: out of paper" to appear by itself. One worker thread polls
every outstanding job (ipptool) and calls ``on_change`` on a state change: from the worker
thread, so a Kivy caller hands it over with ``Clock.schedule_once``.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from drivers.a4_printer.cups import A4Printer, stopped_error
from drivers.a4_printer.errors import PrinterError
from drivers.a4_printer.ipp import JobState, PrinterState

log = logging.getLogger(__name__)

OnChange = Callable[[JobState | PrinterError], None]
WAITING_STATES = ("pending", "pending-held", "processing-stopped")


class JobTracker:
    """``track(job_id)``; ``on_change`` gets each new JobState, or a PrinterError while CUPS is unreachable."""

    def __init__(self, printer: A4Printer, on_change: OnChange, poll_s: float = 1.0):
        self.printer = printer
        self.on_change = on_change
        self.poll_s = poll_s
        self._jobs: dict[str, str] = {}       # job id -> last state reported
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def track(self, job_id: str) -> None:
        with self._lock:
            self._jobs.setdefault(job_id, "")
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="a4 jobs", daemon=True)
            self._thread.start()
        self._wake.set()

    def outstanding(self) -> list[str]:
        with self._lock:
            return list(self._jobs)

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout=10)

    def _report(self, event: JobState | PrinterError) -> None:
        try:
            self.on_change(event)
        except Exception:
            log.exception("A4 job callback failed")

    def poll_once(self) -> None:
        """Check every outstanding job once; final jobs are reported and forgotten. A job waiting
        behind a stopped printer is reported as a ``stopped`` PrinterError (CUPS leaves such a job
        plain "pending"), once per stop, and again as a JobState when it moves on."""
        printer: PrinterState | None = None          # asked at most once per poll, only if needed
        for job_id in self.outstanding():
            try:
                job = self.printer.job(job_id)
                event: JobState | PrinterError = job
                key = job.state
                if job.state in WAITING_STATES:
                    printer = printer or self.printer.state()
                    if printer.state == "stopped":
                        event = stopped_error(printer, job_id)
                        key = f"stopped {printer.message} {','.join(printer.reasons)}"
            except PrinterError as e:
                if e.code == "unknown_job":   # purged from CUPS' history: nothing more to learn
                    with self._lock:
                        self._jobs.pop(job_id, None)
                self._report(e)
                continue
            with self._lock:
                changed = self._jobs.get(job_id) != key
                if job.final:
                    self._jobs.pop(job_id, None)
                else:
                    self._jobs[job_id] = key
            if changed:
                self._report(event)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            self.poll_once()
            if not self.outstanding():
                self._wake.wait()
            else:
                self._wake.wait(self.poll_s)
