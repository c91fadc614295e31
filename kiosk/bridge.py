"""The only way screens reach the engine and the devices: off the UI thread, results back on it.

Why: a database write can wait up to the busy timeout behind another process, a printer can hang
for seconds; either on Kivy's main thread would freeze the touchscreen. ``Bridge.call`` runs the
function on a worker and schedules the callback on the main thread (``Clock.schedule_once``);
``StatePoller`` watches ``PRAGMA data_version`` on its own connection and hands a fresh
``BusState`` to the screens, throttled through a ``Clock.create_trigger``.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from kivy.clock import Clock  # type: ignore[import-untyped]  # Kivy ships no type information

from kiosk.state import BusState, read_state
from ztc.db import StorageError
from ztc.domain.engine import QueueEngine, QueueError

log = logging.getLogger(__name__)

Done = Callable[[Any], None]
Failed = Callable[[Exception], None]


class Bridge:
    """Runs engine calls and device I/O on worker threads; callbacks run on the Kivy thread."""

    def __init__(self, workers: int = 2, on_change: Callable[[], None] | None = None):
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="kiosk-io")
        self.on_change = on_change
        self.pending = 0  # calls not yet answered (tests wait for 0)

    def call(self, fn: Callable[..., Any], *args: Any, on_done: Done | None = None,
             on_error: Failed | None = None, changes: bool = True, **kwargs: Any) -> Future[Any]:
        """Run ``fn(*args, **kwargs)`` off the UI thread; ``changes``: poke the state poller after."""
        self.pending += 1

        def work() -> Any:
            try:
                result = fn(*args, **kwargs)
            except Exception as e:  # every failure reaches the screen as a message, never a crash
                if not isinstance(e, QueueError | StorageError):
                    log.exception("kiosk call %s failed", getattr(fn, "__name__", fn))
                Clock.schedule_once(lambda _dt, err=e: self._finish(on_error, err), 0)
                raise
            finally:
                if changes and self.on_change is not None:
                    self.on_change()
            Clock.schedule_once(lambda _dt: self._finish(on_done, result), 0)
            return result

        return self._pool.submit(work)

    def _finish(self, callback: Callable[[Any], None] | None, value: Any) -> None:
        self.pending -= 1
        if callback is not None:
            callback(value)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


class StatePoller:
    """A thread that re-reads the bus state whenever the database changed (or when poked)."""

    def __init__(self, engine: QueueEngine, deliver: Callable[[BusState], None], interval_s: float = 0.3,
                 refresh_s: float = 20.0):
        self._engine = engine  # over its own connection: data_version sees every other writer
        self._deliver = deliver
        self._interval_s = interval_s
        self._refresh_s = refresh_s  # re-read anyway now and then: estimates and "next visits" age
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._latest: BusState | None = None
        self._trigger = Clock.create_trigger(self._hand_over, 0.05)  # at most one redraw per 50 ms
        self._thread = threading.Thread(target=self._run, name="kiosk-state", daemon=True)
        self.reads = 0            # completed reads
        self.reads_started = 0    # (tests wait for a read that started after their change)

    def start(self) -> None:
        self._thread.start()

    def poke(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        last_version: int | None = None
        since_read = 0.0
        while not self._stop.is_set():
            poked = self._wake.wait(self._interval_s)
            self._wake.clear()
            if self._stop.is_set():
                break
            since_read += self._interval_s
            try:
                version = self._engine.db.data_version()
                if poked or version != last_version or since_read >= self._refresh_s:
                    last_version = version
                    since_read = 0.0
                    self.reads_started += 1
                    self._latest = read_state(self._engine)
                    self.reads += 1
                    self._trigger()
            except Exception:  # a locked or broken database must not kill the poller
                log.exception("reading the bus state failed; retrying")
        log.debug("state poller stopped")

    def _hand_over(self, _dt: float) -> None:
        if self._latest is not None:
            self._deliver(self._latest)
