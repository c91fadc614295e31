"""Fixes from a blocking source (gpsd) handed to the agent's main loop without blocking it.

A reader thread iterates the source (``GpsdSource.fixes()`` reconnects by itself, and any
iterator of fixes works the same way — tests and benchmarks pass their own); the main loop takes
whatever arrived since its last turn, in order. The buffer is bounded: a stalled loop loses old
fixes (positions are the one droppable thing), never the process's memory.
"""
from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Iterable
from typing import Any

log = logging.getLogger(__name__)


class FixFeed:
    def __init__(self, source: Iterable[Any], maxlen: int = 600):
        self.source = source
        self._buffer: deque[Any] = deque(maxlen=maxlen)
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.finished = threading.Event()

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._read, name="fix-feed", daemon=True)
            self._thread.start()

    def _read(self) -> None:
        try:
            for fix in self.source:
                with self._lock:
                    self._buffer.append(fix)
        except Exception:  # the GPS side failing must not end the agent; health shows it
            log.exception("GPS fix source failed; positions stop until the agent restarts")
        finally:
            self.finished.set()

    def take(self) -> list[Any]:
        """Every fix that arrived since the last call, oldest first."""
        with self._lock:
            out = list(self._buffer)
            self._buffer.clear()
        return out
