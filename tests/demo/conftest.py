"""Helpers for the demo tests: processes by process group (read from /proc), bounded polling."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests import support


def wait_for(predicate: Callable[[], Any], timeout: float, what: str) -> Any:
    return support.wait_for(predicate, timeout, what, interval=0.2)


def processes_in_groups(pgids: set[int]) -> dict[int, str]:
    """pid → command name of every live (non-zombie) process whose process group is in ``pgids``."""
    found: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        state, pgid = fields[0], int(fields[2])
        if pgid in pgids and state != "Z":
            found[int(entry.name)] = name
    return found
