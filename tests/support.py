"""Helpers every test suite shares: free ports, bounded polling, bus time under control, settings in a
temp dir, and the folder where CI keeps test artifacts (screenshots, decoded tickets)."""
from __future__ import annotations

import datetime as dt
import os
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ztc.settings import Settings, load_settings

REPO = Path(__file__).resolve().parents[1]
# 09:05 in Shanghai on a Monday: the sample route has the bus at 南麻街道新村社区 09:00–11:30.
MORNING = dt.datetime(2026, 5, 18, 9, 5, tzinfo=dt.timezone(dt.timedelta(hours=8))).timestamp()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate: Callable[[], Any], timeout: float = 30.0, what: str = "condition",
             interval: float = 0.05) -> Any:
    """Poll until ``predicate()`` is truthy; fail naming ``what`` (a generous bound, not a timing test)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(interval)


class FakeClock:
    """Bus time under the test's control (the engine takes any zero-argument callable)."""

    def __init__(self, t: float = MORNING):
        self.t = t

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


def make_settings(data_dir: Path, **env: str) -> Settings:
    """Shipped defaults with the data dir in ``data_dir``; ``MQTT__PORT="1"`` sets ZTC_MQTT__PORT."""
    environ = {"ZTC_DATA_DIR": str(data_dir), **{f"ZTC_{k}": v for k, v in env.items()}}
    return load_settings(environ=environ)


def artifacts_dir(area: str) -> Path:
    """Where CI keeps what a test produced for people to look at: $ZTC_ARTIFACTS/<area>."""
    out = Path(os.environ.get("ZTC_ARTIFACTS") or REPO / "test-artifacts") / area
    out.mkdir(parents=True, exist_ok=True)
    return out
