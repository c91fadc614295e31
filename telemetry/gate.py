"""When a retained report (``queue``, ``health``) goes out: on change, coalesced, and periodically.

A change is sent at most once per ``coalesce_s`` (a burst of ten tickets is one message); without
change the report is repeated every ``periodic_s`` so headquarters can tell "quiet" from "dead".
"""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any


def _without_ts(payload: dict[str, Any]) -> str:
    return json.dumps({k: v for k, v in payload.items() if k != "ts"}, sort_keys=True, default=str)


class ChangeGate:
    def __init__(self, coalesce_s: float, periodic_s: float,
                 key: Callable[[dict[str, Any]], str] = _without_ts):
        self.coalesce_s = coalesce_s
        self.periodic_s = periodic_s
        self.key = key
        self._last_key: str | None = None
        self._last_sent: float | None = None

    def due(self, now: float, payload: dict[str, Any]) -> bool:
        if self._last_sent is None:
            return True
        elapsed = now - self._last_sent
        if elapsed >= self.periodic_s or elapsed < 0:  # elapsed < 0: the clock was set back
            return True
        return elapsed >= self.coalesce_s and self.key(payload) != self._last_key

    def sent(self, now: float, payload: dict[str, Any]) -> None:
        self._last_sent = now
        self._last_key = self.key(payload)

    def reset(self) -> None:
        """Send at the next chance (after a reconnect the broker may have lost the retained copy)."""
        self._last_sent = None
