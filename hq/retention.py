"""Positions are kept ``hq.position_retention_days``; events, records and cases are kept.

Why positions only: they are most of the rows (a moving bus sends one every 30 s, and its recorded
track more) and worth little after the season's review, while events are the county's record.

PostgreSQL: ``positions`` is partitioned by month (declarative partitioning, migration 1) on the
months of ``hq.timezone``. ``ensure_partitions`` creates the month before, this one and the next two
ahead (on open and by housekeeping), moving any rows the default partition caught for them;
``run`` drops whole partitions whose last instant is older than the retention — no row-by-row
delete, no bloat. SQLite: the same retention by ``DELETE`` and ``PRAGMA incremental_vacuum``
(the file is switched to incremental auto-vacuum once, by a full VACUUM, if it was made without).
"""
from __future__ import annotations

import datetime as dt
import logging
import re
import time
from typing import Any
from zoneinfo import ZoneInfo

from hq.storage import HqStore

log = logging.getLogger(__name__)

AHEAD_MONTHS = 2
PARTITION_RE = re.compile(r"^positions_(\d{4})(\d{2})$")


def _month_start(year: int, month: int, tz: ZoneInfo) -> float:
    while month > 12:
        year, month = year + 1, month - 12
    while month < 1:
        year, month = year - 1, month + 12
    return dt.datetime(year, month, 1, tzinfo=tz).timestamp()


def _month_of(ts: float, tz: ZoneInfo) -> tuple[int, int]:
    d = dt.datetime.fromtimestamp(ts, tz)
    return d.year, d.month


def _months(year: int, month: int, zone: ZoneInfo) -> list[tuple[int, int]]:
    return [_month_of(_month_start(year, month + k, zone) + 1, zone) for k in range(-1, AHEAD_MONTHS + 1)]


def partitions(store: HqStore) -> dict[str, tuple[float, float]]:
    """The monthly partitions of ``positions``: name → (from ts, to ts)."""
    rows = store.query(
        "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
        "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'positions'::regclass")
    out = {}
    for name, bound in rows:
        m = re.search(r"FROM \('?([-\d.e+]+)'?\) TO \('?([-\d.e+]+)'?\)", bound or "")
        if PARTITION_RE.match(name) and m:
            out[name] = (float(m.group(1)), float(m.group(2)))
    return out


def ensure_partitions(store: HqStore, now: float | None = None, tz: str = "Asia/Shanghai") -> list[str]:
    """Create the monthly partitions around ``now`` that do not exist; returns those created."""
    if store.dialect != "postgresql":
        return []
    zone = ZoneInfo(tz)
    year, month = _month_of(time.time() if now is None else now, zone)
    have = partitions(store)
    if all(f"positions_{y:04d}{m:02d}" in have for y, m in _months(year, month, zone)):
        return []
    created = []
    for k in range(-1, AHEAD_MONTHS + 1):
        lo, hi = _month_start(year, month + k, zone), _month_start(year, month + k + 1, zone)
        y, m = _month_of(lo + 1, zone)
        name = f"positions_{y:04d}{m:02d}"
        if name in have:
            continue
        with store.transaction() as c:
            # Rows of this month the default partition took (a bus clock ahead) move into it.
            c.execute("CREATE TEMP TABLE moving (LIKE positions) ON COMMIT DROP")
            c.execute("WITH m AS (DELETE FROM positions_default WHERE ts >= ? AND ts < ? RETURNING *) "
                      "INSERT INTO moving SELECT * FROM m", (lo, hi))
            c.execute(f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF positions FOR VALUES FROM ({lo!r}) TO ({hi!r})")
            c.execute("INSERT INTO positions SELECT * FROM moving")
        created.append(name)
        log.info("positions partition %s created", name)
    return created


def run(store: HqStore, retention_days: float, now: float, tz: str = "Asia/Shanghai") -> dict[str, Any]:
    """Housekeeping: partitions ahead, positions older than the retention gone."""
    cutoff = now - retention_days * 86400
    if store.dialect == "postgresql":
        created = ensure_partitions(store, now, tz)
        dropped = []
        for name, (_lo, hi) in sorted(partitions(store).items()):
            if hi <= cutoff:
                with store.transaction() as c:
                    c.execute(f"DROP TABLE {name}")
                dropped.append(name)
                log.info("positions partition %s dropped (older than %g days)", name, retention_days)
        with store.transaction() as c:
            stray = c.execute("DELETE FROM positions_default WHERE ts < ?", (cutoff,)).rowcount
        return {"partitions_created": created, "partitions_dropped": dropped, "positions_deleted": stray}
    with store.transaction() as c:
        deleted = c.execute("DELETE FROM positions WHERE ts < ?", (cutoff,)).rowcount
    conn = store._conn
    with store._lock:
        if conn.execute("PRAGMA auto_vacuum").fetchone()[0] != 2:  # a file from before: switch once
            conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
            conn.execute("VACUUM")
        conn.execute("PRAGMA incremental_vacuum")
        free = conn.execute("PRAGMA freelist_count").fetchone()[0]
    return {"positions_deleted": deleted, "free_pages": free}
