"""Fan-out of the ingest's updates to every open dashboard WebSocket.

The ingest thread calls ``publish`` after each commit (so a pushed position is always one the
database holds); the hub hands it to the web server's event loop with ``call_soon_threadsafe`` and
never blocks the ingest. Each browser has a bounded queue: a browser that cannot keep up is
disconnected (its page reconnects and starts from a fresh snapshot) instead of growing memory.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from typing import Any

log = logging.getLogger(__name__)

CLIENT_QUEUE = 5000


class LiveHub:
    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._clients: set[asyncio.Queue[dict[str, Any] | None]] = set()
        self._lock = threading.Lock()
        self.published = 0
        self.dropped_clients = 0

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        """Called once the web server's loop runs (app start-up)."""
        self._loop = loop

    def publish(self, update: dict[str, Any]) -> None:
        """Thread-safe, non-blocking; a no-op while no page is connected."""
        loop = self._loop
        if loop is None or not self._clients or loop.is_closed():
            return
        self.published += 1
        with contextlib.suppress(RuntimeError):  # the loop closed in between (shutdown)
            loop.call_soon_threadsafe(self._fan_out, update)

    def _fan_out(self, update: dict[str, Any]) -> None:
        for q in list(self._clients):
            try:
                q.put_nowait(update)
            except asyncio.QueueFull:
                self._clients.discard(q)
                self.dropped_clients += 1
                q._queue.clear()  # type: ignore[attr-defined]  # make room for the end marker
                q.put_nowait(None)

    def subscribe(self) -> asyncio.Queue[dict[str, Any] | None]:
        q: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(CLIENT_QUEUE)
        self._clients.add(q)
        return q

    def unsubscribe(self, q: asyncio.Queue[dict[str, Any] | None]) -> None:
        self._clients.discard(q)

    @property
    def clients(self) -> int:
        return len(self._clients)
