"""The A4 printer's condition and its recent jobs for the crew devices tab.

Why its own module: the devices tab must not know CUPS, and the driver must not know how the tab
words things. The queue state and the job list both come from the driver (``A4Printer.state`` and
``A4Printer.jobs``, IPP underneath); this turns them into what the tab shows. Runs only on a bridge
worker: every driver call is a subprocess.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

RECENT_JOBS = 5


@dataclass
class A4Status:
    """What the tab shows: health level, the condition in both languages, newest jobs first."""

    level: str
    zh: str
    en: str
    jobs: list[tuple[str, str]] = field(default_factory=list)   # (job id, IPP job state)


def read_a4_status(printer: Any, limit: int = RECENT_JOBS) -> A4Status:
    """Queue state and recent jobs; a down scheduler or missing queue becomes an ``error`` line."""
    from drivers.a4_printer import PrinterError

    try:
        level, zh, en = printer.state().describe()
        jobs = [(job.job_id, job.state) for job in printer.jobs(limit)]
    except PrinterError as e:
        return A4Status("offline" if e.code in ("no_scheduler", "timeout") else "error", e.zh, e.en)
    return A4Status(level, zh, en, jobs)
