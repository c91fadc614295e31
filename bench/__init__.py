"""Benchmarks. ``python -m bench`` runs every ``bench/bench_*.py`` and prints one table.

Each module has ``run(quick: bool) -> list[Row]``: a figure beside a bare baseline measured in the
same run, so the ratio means something on a shared, noisy machine.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Row:
    name: str            # what was measured
    value: float         # the figure
    unit: str            # ms, MB, msg/s, …
    baseline: float | None = None   # the bare baseline in the same unit, same run
    baseline_name: str = ""
    target: str = ""     # the target from the issue, as text (e.g. "≤ 3× baseline")
    ok: bool | None = None  # whether the target is met (None: no target)

    @property
    def ratio(self) -> float | None:
        return self.value / self.baseline if self.baseline else None
