"""The outbox of PROTOCOL.md: every event that must reach headquarters, in ``seq`` order.

``append`` is called inside the same write transaction as the change that caused the event, so a
change and its event commit together or not at all. The agent reads batches, and deletes rows only
when an ``ack`` from headquarters covers them.
"""
from __future__ import annotations

import json
import sqlite3
import uuid
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Event:
    seq: int
    id: str
    type: str
    ts: float
    data: dict[str, Any]

    def to_wire(self) -> dict[str, Any]:
        return {"seq": self.seq, "id": self.id, "type": self.type, "ts": self.ts, "data": self.data}


def append(conn: sqlite3.Connection, type_: str, data: dict[str, Any], ts: float,
           droppable: bool = False) -> int:
    """Add an event inside the caller's transaction; returns its seq."""
    if not conn.in_transaction:
        raise RuntimeError("outbox.append must run inside the transaction of the change it records")
    cur = conn.execute(
        "INSERT INTO outbox(id, type, ts, data, droppable) VALUES (?, ?, ?, ?, ?)",
        (str(uuid.uuid4()), type_, ts, json.dumps(data, ensure_ascii=False, separators=(",", ":")),
         int(droppable)),
    )
    seq = cur.lastrowid
    assert seq is not None  # set by every successful INSERT
    return seq


def pending(conn: sqlite3.Connection, after_seq: int = 0, limit: int = 100) -> list[Event]:
    """Unacknowledged events with seq > after_seq, oldest first."""
    rows = conn.execute(
        "SELECT seq, id, type, ts, data FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?", (after_seq, limit)
    ).fetchall()
    return [Event(r[0], r[1], r[2], r[3], json.loads(r[4])) for r in rows]


def acknowledge(conn: sqlite3.Connection, upto: int) -> int:
    """Forget every event with seq <= upto (headquarters holds them). Returns how many."""
    return conn.execute("DELETE FROM outbox WHERE seq <= ?", (upto,)).rowcount


def stats(conn: sqlite3.Connection) -> dict[str, Any]:
    """The ``outbox`` part of the health payload."""
    row = conn.execute("SELECT COUNT(*), MIN(ts) FROM outbox").fetchone()
    return {"pending": row[0], "oldest_ts": row[1]}
