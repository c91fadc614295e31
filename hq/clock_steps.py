"""Events a bus stamped with a wrong clock, put right at headquarters.

A bus that boots with a wrong clock keeps working; when chrony steps its clock the bus sends a
``clock.stepped`` event saying "my events ``from_seq``..``upto_seq`` (this epoch) were stamped
``delta_s`` seconds off" (docs/protocol.md). Headquarters keeps the step and shifts those events —
the ones it holds now, and any that arrive later — so every figure, page and export sees true times.
Order does not matter: an event and the step that covers it are each stored once.
"""
from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from typing import Any

ABSOLUTE = ("issued_at",)   # times inside event data that the bus clock stamped
RELATIVE = ("late_s",)      # bus clock minus a planned (true) time: off by the same amount


def shifted(ts: float, data: dict[str, Any], delta: float) -> tuple[float, dict[str, Any]]:
    """An event's time and data as the true clock would have stamped them."""
    out = dict(data)
    for key in (*ABSOLUTE, *RELATIVE):
        if isinstance(out.get(key), int | float) and not isinstance(out.get(key), bool):
            out[key] = round(out[key] + delta, 3)
    return round(ts + delta, 3), out


def any_for(c: sqlite3.Connection, sql: Callable[[str], str], bus: str, epoch: str) -> bool:
    row = c.execute(sql("SELECT 1 FROM clock_steps WHERE bus = ? AND epoch = ? LIMIT 1"), (bus, epoch)).fetchone()
    return row is not None


def shift_for(c: sqlite3.Connection, sql: Callable[[str], str], bus: str, epoch: str, seq: int) -> float:
    """How far the known steps move event ``seq`` (0.0: not at all)."""
    row = c.execute(sql("SELECT COALESCE(SUM(delta_s), 0) FROM clock_steps WHERE bus = ? AND epoch = ? "
                        "AND ? BETWEEN from_seq AND upto_seq"), (bus, epoch, seq)).fetchone()
    return float(row[0])


def record(c: sqlite3.Connection, sql: Callable[[str], str], bus: str, epoch: str, step_seq: int,
           data: dict[str, Any]) -> int:
    """Store a ``clock.stepped`` event's step and shift the covered events already stored; returns how many."""
    try:
        lo, hi, delta = int(data["from_seq"]), int(data["upto_seq"]), float(data["delta_s"])
    except (KeyError, TypeError, ValueError):
        return 0
    if not 1 <= lo <= hi < step_seq:
        return 0
    cur = c.execute(sql("INSERT INTO clock_steps(bus, epoch, step_seq, from_seq, upto_seq, delta_s) VALUES "
                        "(?,?,?,?,?,?) ON CONFLICT DO NOTHING"), (bus, epoch, step_seq, lo, hi, delta))
    if cur.rowcount != 1:
        return 0
    rows = c.execute(sql("SELECT seq, ts, data FROM events WHERE bus = ? AND epoch = ? AND seq BETWEEN ? AND ?"),
                     (bus, epoch, lo, hi)).fetchall()
    for seq, ts, raw in rows:
        new_ts, new_data = shifted(ts, json.loads(raw), delta)
        c.execute(sql("UPDATE events SET ts = ?, data = ? WHERE bus = ? AND epoch = ? AND seq = ?"),
                  (new_ts, json.dumps(new_data, ensure_ascii=False, separators=(",", ":")), bus, epoch, seq))
    return len(rows)
