"""The service day: the CI-sized day by default; ZTC_SOAK=1 runs the long soak day instead."""
from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.scenario.day import CI_DAY, SOAK_DAY, ServiceDay


@pytest.fixture
def service_day(tmp_path: Path) -> Iterator[ServiceDay]:
    """Every server and process of the day, stopped at the end whatever happened."""
    day = ServiceDay(tmp_path, SOAK_DAY if os.environ.get("ZTC_SOAK") == "1" else CI_DAY)
    try:
        day.start()
        yield day
    finally:
        day.stop()
