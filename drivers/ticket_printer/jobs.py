"""A print job: what to print, and what became of it — handed back to whoever submitted it.

Why a job object rather than a blocking call: the kiosk's UI thread must never wait for a printer;
it submits, gets this object at once, and learns the outcome through ``on_done`` (run on the
printer's worker thread; a Kivy caller re-posts it with ``Clock.schedule_once``). A failed job is
kept in ``TicketPrinter.failed`` and logged, never dropped silently.
"""
from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Literal

from drivers.ticket_printer.content import TicketContent

JobState = Literal["queued", "printing", "done", "failed"]
_ids = itertools.count(1)


class PrinterFault(Exception):
    """The printer said it cannot print (paper out, cover open); retrying will not help until a person acts."""


@dataclass(eq=False)
class PrintJob:
    content: TicketContent | None          # None for raw bytes (diagnostics)
    data: bytes | None = None              # pre-rendered bytes (raw jobs); rendered in the worker otherwise
    label: str = ""
    id: int = field(default_factory=lambda: next(_ids))
    state: JobState = "queued"
    error: str | None = None               # bilingual message when failed
    attempts: int = 0
    bytes_sent: int = 0
    confirmed: bool | None = None          # True: the printer answered a status query after the job
    created_at: float = field(default_factory=time.time)
    finished_at: float | None = None
    _done: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def ticket_id(self) -> str | None:
        return self.content.ticket_id if self.content else None

    @property
    def finished(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job finished (for CLI and tests, never for the UI thread)."""
        return self._done.wait(timeout)

    def finish(self, error: str | None = None) -> None:
        self.state = "failed" if error else "done"
        self.error = error
        self.finished_at = time.time()
        self._done.set()

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label, "ticket_id": self.ticket_id, "state": self.state,
                "error": self.error, "attempts": self.attempts, "bytes": self.bytes_sent,
                "confirmed": self.confirmed}
