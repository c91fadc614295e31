"""Raster tickets drawn in a separate process, so a kiosk's UI thread keeps the interpreter.

Why: a raster ticket is ~36 ms of CPU (Pillow, qrcode, python-escpos' image conversion) that the
kiosk process would otherwise spend beside Kivy's UI thread (issue 6: the frame gap while a ticket
prints must stay ≤ 100 ms). Here the drawing runs in one long-lived helper process; the printer's
worker thread only waits for the answer, and waiting releases the GIL. Measured (PERFORMANCE.md):
the GIL stall an in-thread render causes is only a few ms, because Pillow drops the GIL for its C
work, and on the software-OpenGL test machine the longest frame is the redraw itself; so this buys
an interpreter free of drawing work and isolation from a renderer crash more than frame time there.

The choices, explicitly:
- **Raster only.** Native text mode is a few hundred bytes of text commands (~1 ms); sending it to
  another process would cost more than it saves, so ``TicketPrinter`` renders native in-thread.
- **Opt-in, for long-lived processes.** The kiosk asks for it (``render_in_process=True``) and
  warms it at start. A short-lived CLI (``ztc devices test-print ticket``, the scenario driver, the
  benchmarks) renders in-thread: starting an interpreter for one ticket costs more than the ticket.
- **spawn, never fork.** The kiosk process holds a Kivy/OpenGL context and threads; a forked copy of
  those is undefined behaviour. A spawned child is a fresh interpreter that imports only the
  renderer (Pillow, qrcode, python-escpos, the SC font) — never Kivy.
- **Warm before the first ticket.** ``start()`` launches the process and makes it draw a small
  ticket (imports and font loading), so a resident's first ticket does not pay for them. A ticket
  that arrives while the process is still warming is drawn in-thread rather than made to wait
  ~1 s for an interpreter to start.
- **The parent's ``__main__`` must be import-safe** (an ``if __name__ == "__main__"`` guard): spawn
  re-imports it in the child. ``ztc``'s console script and ``python -m`` entry points are; an
  unguarded script makes the child fail, which is then just an outage (in-thread drawing).
- **Nothing is lost.** If the process cannot start, dies, or hangs past ``render_timeout_s``, the
  ticket is drawn in-thread with the very same function (same bytes), the outage is logged once with
  a clear message, and a new process is tried after ``retry_after_s``.
- **Low priority.** The process runs at ``RENDER_NICE``: when the two cores are busy, the kiosk's
  screen (and its start-up, while the process warms) comes first; a ticket may take a little longer.
- **No orphans.** ``close()`` shuts the pool down and waits for the child to exit; the child
  ignores Ctrl-C (the parent decides when it ends) and leaves by itself within a second when the
  parent dies without closing it (SIGKILL, a crash).
"""
from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from multiprocessing import connection

from drivers.ticket_printer.layout import Layout, Qr, Rule, Text
from ztc import text as ztc_text

log = logging.getLogger(__name__)

# Log lines (``ztc_text.Text``: this module's ``Text`` is the layout's text element).
LOG_BACK = ztc_text.Text("号票渲染进程已恢复", "ticket render process is back")
LOG_UNAVAILABLE = ztc_text.Text("号票渲染进程不可用，改在打印线程内渲染，%.0f 秒后重试",
                                "ticket render process unavailable (%s); drawing tickets in the printer thread, "
                                "retrying in %.0f s")
LOG_KILLING = ztc_text.Text("号票渲染进程 %d 未退出，强制结束", "ticket render process %d did not exit; killing it")

# A tiny ticket that touches every code path of the raster renderer: both font weights, a scaled
# line, an inverted mark, a rule and a QR code.
WARM_UP_LAYOUT = Layout(384, (Text("预热 warm-up", scale=2, bold=True, align="center"), Text("直通车"),
                              Text("副本", bold=True, invert=True), Rule(), Qr("ztc", module=4)))


# The render process's niceness. Its initializer is ``os.nice`` itself (a builtin: unpickling it
# imports nothing), so even the heavy imports of the warm-up run at low priority: when the CPU is
# short, the kiosk's start-up and screen win over ~50 ms of ticket drawing.
RENDER_NICE = 10


def render_raster(layout: Layout) -> bytes:
    """``raster.render_raster``, imported on first use: Pillow, qrcode and python-escpos load in the
    render process (or in the parent only when it has to draw a ticket itself), never at the kiosk's rest."""
    from drivers.ticket_printer.raster import render_raster as draw

    return draw(layout)


def _warm_up(parent: int) -> int:
    """Runs in the render process: import and draw once, return the child's pid (for close checks)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # Ctrl-C at the terminal is for the parent
    threading.Thread(target=_exit_with_parent, args=(parent,), name="parent-watch", daemon=True).start()
    render_raster(WARM_UP_LAYOUT)
    return os.getpid()


def _exit_with_parent(parent: int, interval_s: float = 1.0) -> None:
    """In the render process: leave when the kiosk is gone (killed, crashed) instead of idling forever.

    The pool's call queue cannot tell us: the child holds both ends of its pipe, so it never reads EOF.
    """
    while os.getppid() == parent:
        time.sleep(interval_s)
    os._exit(0)


class RenderProcess:
    """One spawned helper process that turns a raster ``Layout`` into ESC/POS bytes.

    Use from one thread (the printer's worker); ``close()`` may come from any thread.
    """

    def __init__(self, ready_timeout_s: float = 15.0, render_timeout_s: float = 10.0,
                 retry_after_s: float = 30.0, close_timeout_s: float = 5.0):
        self.ready_timeout_s = ready_timeout_s     # not warm by then (from start) means it hangs
        self.render_timeout_s = render_timeout_s   # a render taking longer means the process hangs
        self.retry_after_s = retry_after_s         # after an outage, when to try a new process
        self.close_timeout_s = close_timeout_s     # how long close() lets the child finish before killing it
        self.in_thread = 0                         # tickets drawn in-thread (outage, or still warming up)
        self.processed = 0                         # tickets drawn by the render process
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self._ready: Future[int] | None = None          # the warm-up; its result is the child's pid
        self._retry_at = 0.0
        self._started_at = 0.0
        self._outage: str | None = None            # set while in-thread fallback is in force (logged once)

    @property
    def pid(self) -> int | None:
        """The render process's pid once it is warm, else None."""
        ready = self._ready
        if ready is None or not ready.done() or ready.cancelled() or ready.exception() is not None:
            return None
        return ready.result()

    def start(self) -> None:
        """Launch and warm the process if none is running (returns at once; never raises)."""
        with self._lock:
            if self._pool is not None or time.monotonic() < self._retry_at:
                return
            try:
                self._started_at = time.monotonic()
                self._pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                                 initializer=os.nice, initargs=(RENDER_NICE,))
                self._ready = self._pool.submit(_warm_up, os.getpid())
            except Exception as e:           # no fds, no memory, no /dev/shm…: we render in-thread
                self._broken_locked(f"cannot start: {e}", self._pool)

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Start if needed and block until the process is warm (tests, benchmarks; not for a resident)."""
        self.start()
        ready = self._ready
        if ready is None:
            return False
        try:
            ready.result(timeout)
        except Exception:
            return False
        return True

    def render(self, layout: Layout) -> bytes:
        """The raster bytes of ``layout``: from the process when it is warm, else drawn here.

        A process still warming up is not waited for: the resident would wait for the interpreter's
        start instead of ~50 ms of drawing.
        """
        self.start()
        with self._lock:
            pool, ready = self._pool, self._ready
        if pool is not None and ready is not None:
            try:
                if not ready.done():
                    if time.monotonic() - self._started_at > self.ready_timeout_s:
                        raise FutureTimeout(f"not warm after {self.ready_timeout_s:.0f} s")
                else:
                    ready.result()
                    data = pool.submit(render_raster, layout).result(timeout=self.render_timeout_s)
                    self.processed += 1
                    if self._outage is not None:
                        log.info(str(LOG_BACK))
                        self._outage = None
                    return data
            except FutureTimeout as e:
                self._broken(f"did not answer in time (hung?) {e}".strip(), pool, kill=True)
            except Exception as e:           # BrokenProcessPool, OSError, a pickling error…
                self._broken(f"{type(e).__name__}: {e}" if str(e) else type(e).__name__, pool)
        self.in_thread += 1
        return render_raster(layout)

    def close(self) -> None:
        """Stop the process and wait until it has exited (killed if it does not within a few seconds)."""
        with self._lock:
            pool = self._pool
            self._pool, self._ready = None, None
        if pool is not None:
            _stop(pool, self.close_timeout_s)

    def _broken(self, why: str, pool: ProcessPoolExecutor | None, kill: bool = False) -> None:
        with self._lock:
            self._broken_locked(why, pool, kill)

    def _broken_locked(self, why: str, pool: ProcessPoolExecutor | None, kill: bool = False) -> None:
        """Drop ``pool`` (killing a hung child), fall back in-thread, try a new one after a pause."""
        if self._pool is pool:
            self._pool, self._ready = None, None
        self._retry_at = time.monotonic() + self.retry_after_s
        if self._outage is None:
            log.warning(str(LOG_UNAVAILABLE),
                        self.retry_after_s, why, self.retry_after_s)
        self._outage = why
        if pool is not None:
            # A hung child would keep the pool's manager thread waiting: stop it in the background.
            threading.Thread(target=_stop, args=(pool, 0.0 if kill else self.close_timeout_s),
                             name="ticket-render-stop", daemon=True).start()


def _stop(pool: ProcessPoolExecutor, grace_s: float) -> None:
    """Shut ``pool`` down; a child still running after ``grace_s`` is killed. Returns once it is reaped."""
    processes = list((getattr(pool, "_processes", None) or {}).values())  # no public handle before 3.14
    manager = getattr(pool, "_executor_manager_thread", None)             # shutdown() forgets it
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in processes:
        try:
            exited = bool(connection.wait([proc.sentinel], grace_s))
        except ValueError:                   # the handle is closed: it was reaped already
            continue
        if not exited:                       # not exited, so not reaped: the pid is still this child's
            log.warning(str(LOG_KILLING),
                        proc.pid, proc.pid)
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGKILL)
        proc.join(5.0)                       # reap it (or the pool's manager thread did: gone either way)
    if manager is not None:
        manager.join(5.0)                    # it records the exit; then nothing of the pool is left running
