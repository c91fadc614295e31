"""Fixtures for the GPS tests: gpsfake runs (each with its own real gpsd) stopped at teardown."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import free_port

from .harness import CYCLE, GpsFake, padded_log


@pytest.fixture
def gpsfake_factory(tmp_path: Path) -> Iterator:
    """Start gpsfake runs; every one is stopped at teardown."""
    runs: list[GpsFake] = []

    def start(lines: list[str], port: int | None = None, cycle: str = CYCLE, name: str = "log.nmea",
              trailing_s: int = 0) -> GpsFake:
        log = padded_log(tmp_path / name, lines, trailing_s)
        run = GpsFake(log, port or free_port(), cycle).start()
        runs.append(run)
        return run

    yield start
    for run in runs:
        run.stop()
