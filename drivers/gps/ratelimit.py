"""Warnings that stay readable when a receiver misbehaves every second.

A receiver without a fix, or one that reports positions without a time, does so once a second for
as long as it lasts; one warning per report would bury everything else in the journal. So each kind
of trouble is logged as a warning the first time, then at most once per ``every_s`` with how many
were left out in between (those go to DEBUG). The caller keeps the counts for health.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable

from ztc.text import Text

MORE_SINCE = Text("另有 {n} 次未记录", "{n} more since the last warning")


class WarnLimiter:
    def __init__(self, logger: logging.Logger, every_s: float = 60.0, clock: Callable[[], float] = time.monotonic):
        self.logger = logger
        self.every_s = every_s
        self.clock = clock
        self._last: dict[str, float] = {}
        self._held: dict[str, int] = {}

    def warn(self, kind: str, text: str) -> bool:
        """Log ``text`` as a warning unless ``kind`` was warned about less than ``every_s`` ago; True if logged."""
        now = self.clock()
        last = self._last.get(kind)
        if last is not None and now - last < self.every_s:
            self._held[kind] = self._held.get(kind, 0) + 1
            self.logger.debug(text)
            return False
        held = self._held.pop(kind, 0)
        suffix = f" ({MORE_SINCE.format(n=held)})" if held else ""
        self.logger.warning(text + suffix)
        self._last[kind] = now
        return True

    def reset(self, kind: str) -> None:
        """The trouble is over: its next occurrence is news and is logged at once."""
        self._last.pop(kind, None)
        self._held.pop(kind, None)
