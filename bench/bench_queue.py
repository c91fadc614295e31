"""Issuing a ticket (engine + commit + outbox event) beside a bare SQLite commit of one row.

Both use the same file system, journal mode (WAL) and synchronous=FULL, in the same run, so the ratio
says what the engine's work costs on top of the unavoidable durable commit. Target: median ≤ 3×.
"""
from __future__ import annotations

import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from bench import Row
from ztc.db import open_database
from ztc.domain.engine import QueueEngine
from ztc.settings import load_settings


def _bare(path: Path, n: int) -> list[float]:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    out = []
    for i in range(n):
        t0 = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO t(v) VALUES (?)", (f"row {i}",))
        conn.execute("COMMIT")
        out.append(time.perf_counter() - t0)
    conn.close()
    return out


def _issue(data_dir: Path, n: int) -> list[float]:
    settings = load_settings(environ={"ZTC_DATA_DIR": str(data_dir)})
    engine = QueueEngine(open_database(settings.db_path), settings)
    engine.arrive_adhoc("基准测试点")
    engine.open_window(1, "bench", [c.code for c in settings.services])
    prefixes = [c.code for c in settings.services]
    out = []
    for i in range(n):
        t0 = time.perf_counter()
        engine.issue(prefixes[i % len(prefixes)], priority=i % 7 == 0)
        out.append(time.perf_counter() - t0)
    engine.db.close()
    return out


def _p99(xs: list[float]) -> float:
    return statistics.quantiles(xs, n=100)[98]


def run(quick: bool = False) -> list[Row]:
    n = 150 if quick else 1000
    with tempfile.TemporaryDirectory() as tmp:
        # interleave rounds so background load hits both sides alike
        bare, issue = [], []
        for r in range(5):
            bare += _bare(Path(tmp) / f"bare{r}.db", n // 5)
            issue += _issue(Path(tmp) / f"bus{r}", n // 5)
    bm, im = statistics.median(bare) * 1000, statistics.median(issue) * 1000
    return [
        Row("queue: issue a ticket, median", im, "ms", bm, "bare SQLite commit of one row (WAL, FULL)",
            "≤ 3× baseline", im <= 3 * bm),
        Row("queue: issue a ticket, p99", _p99(issue) * 1000, "ms", _p99(bare) * 1000,
            "bare commit p99", ""),
    ]
