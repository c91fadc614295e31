"""A process tree that believes another time: Debian's libfaketime, steerable while it runs.

Why these variables (libfaketime's README): ``FAKETIME_TIMESTAMP_FILE`` holds the offset and
``FAKETIME_NO_CACHE=1`` makes every clock call read it again, so a test moves the clock of running
processes by rewriting one file — the way chrony steps a real bus's clock. ``FAKETIME_DONT_FAKE_MONOTONIC=1``
keeps the monotonic and boot-time clocks real, as they are when the wall clock is stepped (the
clock-step detector relies on exactly that). Known limit of libfaketime 0.9.10 in that mode:
Python's ``time.sleep`` fails with EINVAL (libfaketime issue 426), so only processes that wait on
queues, events and sockets (the CLI, the agent) run under it.
"""
from __future__ import annotations

import glob
import os
import time
from pathlib import Path

import pytest


def library() -> str:
    """The preload library the ``libfaketime`` package installs (multiarch path)."""
    found = sorted(glob.glob("/usr/lib/*/faketime/libfaketime.so.1") + glob.glob("/usr/lib/faketime/libfaketime.so.1"))
    if not found:
        pytest.fail("libfaketime is missing: scripts/setup-system.sh installs the Debian package 'faketime'")
    return found[0]


class FakeTime:
    """The clock of every process started with ``env()``: ``set(ts)`` makes it read ``ts`` now."""

    def __init__(self, folder: Path):
        self.path = Path(folder) / "faketime.rc"
        self.offset = 0
        self.write(0)

    def write(self, offset_s: int) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(f"{offset_s:+d}\n", encoding="ascii")
        os.replace(tmp, self.path)  # a reader never sees a half-written file
        self.offset = offset_s

    def set(self, ts: float) -> None:
        self.write(round(ts - time.time()))

    def step(self, seconds: int) -> None:
        """Step the faked wall clock by ``seconds`` (negative: backwards)."""
        self.write(self.offset + seconds)

    def env(self, base: dict[str, str] | None = None) -> dict[str, str]:
        return {**(base if base is not None else os.environ), "LD_PRELOAD": library(),
                "FAKETIME_TIMESTAMP_FILE": str(self.path), "FAKETIME_NO_CACHE": "1",
                "FAKETIME_DONT_FAKE_MONOTONIC": "1"}
