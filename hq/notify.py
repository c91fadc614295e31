"""Live map updates across processes: PostgreSQL's LISTEN/NOTIFY between ingest and web processes.

With several HQ processes a dashboard is connected to one web process while the position was
stored by another. The ingest hands each committed update to a ``Notifier`` (its own thread and
connection: the ingest never waits for it), which sends them as ``NOTIFY ztc_live`` payloads —
JSON arrays, several updates each, under PostgreSQL's 8000-byte limit. Every web process runs a
``Listener`` that feeds them into its ``LiveHub``. PostgreSQL delivers a notification only after
the sender's commit and in commit order per sender, so "pushed only once stored" still holds.
On SQLite (one process) the ingest calls the hub directly, as before.

A process that both ingests and serves hands its own updates to its hub directly (``local``, after
the commit, as on SQLite) and its Listener ignores the notifications its own Notifier sent (by the
sender's backend pid): each update is pushed once, and is not decoded back from JSON by the very
process that encoded it. A Listener whose hub has no dashboard connected does not decode at all.
"""
from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

CHANNEL = "ztc_live"
MAX_PAYLOAD = 7900  # PostgreSQL refuses payloads of 8000 bytes and more


def chunks(updates: list[dict[str, Any]], limit: int = MAX_PAYLOAD) -> list[str]:
    """JSON arrays of whole updates, each under ``limit`` bytes (an update too big alone is dropped)."""
    out: list[str] = []
    parts: list[str] = []
    size = 2
    for u in updates:
        text = json.dumps(u, ensure_ascii=False, separators=(",", ":"))
        n = len(text.encode()) + 1
        if n + 2 > limit:
            log.warning("live update of %d bytes too big to notify; dropped", n)
            continue
        if parts and size + n > limit:
            out.append("[" + ",".join(parts) + "]")
            parts, size = [], 2
        parts.append(text)
        size += n
    if parts:
        out.append("[" + ",".join(parts) + "]")
    return out


class Notifier:
    """``publish(update)`` from the ingest thread; a worker sends them in batches."""

    def __init__(self, url: str, local: Callable[[dict[str, Any]], None] | None = None):
        self.url = url
        self.local = local
        # The backend this Notifier sends from now (its Listener skips it). Only the current one: once
        # disconnected, a pid may be the server's for another process's Notifier later.
        self.own_pid = 0
        self._queue: queue.Queue[dict[str, Any] | None] = queue.Queue(100000)
        self._thread = threading.Thread(target=self._run, name="live-notify", daemon=True)
        self.sent = 0
        self.dropped = 0
        self._thread.start()

    def publish(self, update: dict[str, Any]) -> None:
        if self.local is not None:
            self.local(update)
        try:
            self._queue.put_nowait(update)
        except queue.Full:
            self.dropped += 1

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(5)

    def _run(self) -> None:
        import psycopg
        conn = None
        while True:
            item = self._queue.get()
            if item is None:
                break
            batch = [item]
            while len(batch) < 2000:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    self._queue.put(None)
                    break
                batch.append(nxt)
            try:
                if conn is None or conn.closed:
                    conn = psycopg.connect(self.url, autocommit=True, application_name="ztc-hq notify")
                    self.own_pid = conn.info.backend_pid  # before the first notification from it
                with conn.transaction():  # one commit for the whole batch's notifications
                    for payload in chunks(batch):
                        conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, payload))
                self.sent += len(batch)
            except psycopg.Error as e:  # live updates are best effort: the page's next snapshot has it
                self.dropped += len(batch)
                log.warning("live updates not notified (%d): %s", len(batch), e)
                conn = None
                time.sleep(1)
        if conn is not None:
            conn.close()


class Listener:
    """``LISTEN ztc_live`` on its own connection; each update goes to ``deliver`` (the hub).
    ``own``: this process's Notifier, whose notifications were delivered locally already;
    ``wanted``: whether anyone would see an update now (the hub has clients) — if not, none is decoded."""

    def __init__(self, url: str, deliver: Callable[[dict[str, Any]], None], own: Notifier | None = None,
                 wanted: Callable[[], bool] | None = None):
        self.url = url
        self.deliver = deliver
        self.own = own
        self.wanted = wanted
        self.skipped = 0  # notifications not decoded: our own, or no dashboard connected
        self.ready = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="live-listen", daemon=True)
        self.received = 0
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        import psycopg
        while not self._stop.is_set():
            try:
                with psycopg.connect(self.url, autocommit=True, application_name="ztc-hq listen") as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self.ready.set()
                    while not self._stop.is_set():
                        for n in conn.notifies(timeout=1.0):
                            self._handle(n.payload, n.pid)
            except psycopg.Error as e:
                self.ready.clear()
                log.warning("live updates: listening failed (%s); retrying", e)
                self._stop.wait(2)

    def _handle(self, payload: str, pid: int = 0) -> None:
        if (self.own is not None and pid == self.own.own_pid) or (self.wanted is not None and not self.wanted()):
            self.skipped += 1
            return
        try:
            updates = json.loads(payload)
        except ValueError:
            log.warning("a live notification that is not JSON ignored")
            return
        for u in updates if isinstance(updates, list) else []:
            if isinstance(u, dict):
                self.received += 1
                self.deliver(u)
