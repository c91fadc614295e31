"""The A4 printer's condition and its recent jobs for the crew devices tab.

Why its own module: the devices tab must not know CUPS. The queue state comes from the driver
(IPP via ``A4Printer.state``); the driver has no job listing, so the ids come from ``lpstat -W all
-o`` (ids only: lpstat's own "completed" hides cancelled/aborted jobs) and each id's state from
``A4Printer.job`` over IPP. Runs only on a bridge worker: every call is a subprocess.
"""
from __future__ import annotations

import os
import subprocess
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


def recent_job_ids(printer: Any, limit: int = RECENT_JOBS) -> list[str]:
    """The newest ``limit`` job ids of the queue, newest first; [] when lpstat cannot answer."""
    host = ["-h", printer.server] if printer.server else []
    try:
        proc = subprocess.run(["lpstat", *host, "-W", "all", "-o", printer.queue], capture_output=True, text=True,
                              timeout=printer.command_timeout_s, env={**os.environ, "LANG": "C", "LC_ALL": "C"},
                              check=False)
    except (OSError, subprocess.TimeoutExpired):
        return []
    prefix = f"{printer.queue}-"
    ids = [line.split()[0] for line in proc.stdout.splitlines() if line.startswith(prefix)]
    ids = [i for i in ids if i[len(prefix):].isdigit()]
    return sorted(set(ids), key=lambda i: int(i[len(prefix):]), reverse=True)[:limit]


def read_a4_status(printer: Any) -> A4Status:
    """Queue state and recent jobs; a down scheduler or missing queue becomes an ``error`` line."""
    from drivers.a4_printer import PrinterError

    try:
        level, zh, en = printer.state().describe()
    except PrinterError as e:
        return A4Status("offline" if e.code in ("no_scheduler", "timeout") else "error", e.zh, e.en)
    jobs = []
    for job_id in recent_job_ids(printer):
        try:
            jobs.append((job_id, printer.job(job_id).state))
        except PrinterError:
            continue   # purged from CUPS' history between the two calls
    return A4Status(level, zh, en, jobs)
