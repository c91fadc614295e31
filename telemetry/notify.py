"""systemd notification: READY once the database is open, WATCHDOG from the main loop.

The unit sets ``WatchdogSec``; if the loop stalls (a deadlock, a hung disk) the pings stop and
systemd restarts the agent. Outside systemd (no NOTIFY_SOCKET) every call is a no-op.
"""
from __future__ import annotations

import logging
import time

import sdnotify  # type: ignore[import-untyped]  # sdnotify ships no py.typed and has no stub package

log = logging.getLogger(__name__)


class Notifier:
    def __init__(self, min_interval_s: float = 1.0):
        self._sd = sdnotify.SystemdNotifier()
        self._min_interval_s = min_interval_s
        self._last_ping = 0.0

    def ready(self, status: str = "") -> None:
        self._sd.notify("READY=1" + (f"\nSTATUS={status}" if status else ""))

    def status(self, text: str) -> None:
        self._sd.notify(f"STATUS={text}")

    def watchdog(self) -> None:
        """Called every loop turn; sends at most one ping per ``min_interval_s``."""
        now = time.monotonic()
        if now - self._last_ping >= self._min_interval_s:
            self._last_ping = now
            self._sd.notify("WATCHDOG=1")

    def stopping(self) -> None:
        self._sd.notify("STOPPING=1")
