"""Loaded by every Python process that ``scripts/at-instant`` runs (it puts this folder first on
PYTHONPATH): works around libfaketime 0.9.10's broken ``clock_nanosleep(CLOCK_MONOTONIC,
TIMER_ABSTIME)`` when the monotonic clock is not faked (upstream issue 426), which is how Python 3.11's
``time.sleep`` sleeps: it fails with EINVAL. Timed waits on a lock work, so ``time.sleep`` waits on
one. The clock itself is libfaketime's, untouched: this only changes how a process sleeps."""
from __future__ import annotations

import os
import threading
import time

if "faketime" in os.environ.get("LD_PRELOAD", "") and os.environ.get("FAKETIME_DONT_FAKE_MONOTONIC") == "1":
    _real_sleep = time.sleep

    def _sleep(seconds: float) -> None:
        """time.sleep by a timed wait on a lock nobody releases (same contract: seconds >= 0)."""
        if seconds < 0:
            raise ValueError("sleep length must be non-negative")
        if seconds == 0:
            return
        deadline = time.monotonic() + seconds
        lock = threading.Lock()
        lock.acquire()
        while (left := deadline - time.monotonic()) > 0:
            lock.acquire(timeout=min(left, threading.TIMEOUT_MAX))

    time.sleep = _sleep
