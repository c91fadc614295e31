"""Positions recorded while the link is down: ``track`` events in the outbox, in bounded storage.

Each recorded position is committed at once (no data only in memory). To keep rows and wire bytes
few, a position is appended to the newest ``track`` row when that row is the newest row of the
whole outbox, was created by this process and was never published (so headquarters can never hold
an older copy of it); otherwise a new row starts. Past ``track_max_kb`` the oldest recorded
positions are dropped — only ``droppable`` rows, never tickets, records or ratings — and the count
of dropped rows is kept in ``meta`` for ``health``.
"""
from __future__ import annotations

import json
import logging
from typing import Any

from ztc.db import Database, StorageError, outbox

log = logging.getLogger(__name__)

POSITIONS_PER_ROW = 20
DROPPED_KEY = "track_dropped"


class TrackRecorder:
    def __init__(self, db: Database, max_kb: int):
        self.db = db
        self.max_bytes = max_kb * 1024
        self._own_rows: set[int] = set()

    def record(self, position: dict[str, Any], now: float, published_upto: int) -> int | None:
        """Store one position; returns the seq of the row holding it (None if storage failed)."""
        try:
            with self.db.write() as conn:
                seq = self._append(conn, position, now, published_upto)
                self._enforce_bound(conn)
                return seq
        except StorageError as e:
            log.error("position not recorded: %s", e)
            return None

    def _append(self, conn: Any, position: dict[str, Any], now: float, published_upto: int) -> int:
        last = conn.execute("SELECT seq, data FROM outbox ORDER BY seq DESC LIMIT 1").fetchone()
        if last is not None and last[0] in self._own_rows and last[0] > published_upto:
            data = json.loads(last[1])
            if len(data.get("positions", [])) < POSITIONS_PER_ROW:
                data["positions"].append(position)
                conn.execute("UPDATE outbox SET data = ? WHERE seq = ?",
                             (json.dumps(data, ensure_ascii=False, separators=(",", ":")), last[0]))
                return int(last[0])
        seq = outbox.append(conn, "track", {"positions": [position]}, now, droppable=True)
        self._own_rows.add(seq)
        return seq

    def _enforce_bound(self, conn: Any) -> None:
        total = conn.execute("SELECT COALESCE(SUM(LENGTH(data)), 0) FROM outbox WHERE droppable = 1").fetchone()[0]
        if total <= self.max_bytes:
            return
        dropped = 0
        for seq, size in conn.execute(
                "SELECT seq, LENGTH(data) FROM outbox WHERE droppable = 1 ORDER BY seq").fetchall():
            if total <= self.max_bytes:
                break
            conn.execute("DELETE FROM outbox WHERE seq = ? AND droppable = 1", (seq,))
            self._own_rows.discard(seq)
            total -= size
            dropped += 1
        old = conn.execute("SELECT value FROM meta WHERE key = ?", (DROPPED_KEY,)).fetchone()
        conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)",
                     (DROPPED_KEY, str(int(old[0]) + dropped if old else dropped)))
        log.warning("track storage over %d kB: dropped the %d oldest recorded position rows",
                    self.max_bytes // 1024, dropped)


def track_usage(conn: Any) -> dict[str, Any]:
    """Recorded-position storage figures for ``health``: rows, bytes, rows dropped so far."""
    rows, size = conn.execute(
        "SELECT COUNT(*), COALESCE(SUM(LENGTH(data)), 0) FROM outbox WHERE droppable = 1").fetchone()
    dropped = conn.execute("SELECT value FROM meta WHERE key = ?", (DROPPED_KEY,)).fetchone()
    return {"rows": rows, "kb": round(size / 1024, 1), "dropped": int(dropped[0]) if dropped else 0}
