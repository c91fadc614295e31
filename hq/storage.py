"""Headquarters storage: buses' latest state, positions, and every event exactly once.

SQLite by default. Written so PostgreSQL can follow: only portable SQL (``ON CONFLICT``, ``DOUBLE
PRECISION``, no AUTOINCREMENT, JSON kept as text), every statement goes through ``_sql`` (which is
where the ``?`` → ``%s`` placeholder change belongs), and one DB-API connection is all it needs.

Exactly once: events are unique on (bus, epoch, seq) and on id, inserted with ``ON CONFLICT DO
NOTHING``. The ack watermark ("every event up to here is stored") comes from the ranges each batch
declares complete (``from``..last seq, see docs/protocol.md), merged per (bus, epoch).
"""
from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from contract import protocol
from hq import clock_steps, contacts
from hq.files import private_file

log = logging.getLogger(__name__)

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS buses (
        id TEXT PRIMARY KEY,
        online INTEGER NOT NULL DEFAULT 0,
        boot TEXT, sw TEXT,
        status_ts DOUBLE PRECISION, status_at DOUBLE PRECISION,
        last_seen DOUBLE PRECISION,
        position TEXT, queue TEXT, health TEXT)""",
    """CREATE TABLE IF NOT EXISTS positions (
        bus TEXT NOT NULL, ts DOUBLE PRECISION NOT NULL, source TEXT NOT NULL,
        lat DOUBLE PRECISION NOT NULL, lon DOUBLE PRECISION NOT NULL,
        speed DOUBLE PRECISION, track DOUBLE PRECISION, stop TEXT,
        PRIMARY KEY (bus, ts, source))""",
    """CREATE TABLE IF NOT EXISTS events (
        bus TEXT NOT NULL, epoch TEXT NOT NULL, seq BIGINT NOT NULL,
        id TEXT NOT NULL UNIQUE, type TEXT NOT NULL, ts DOUBLE PRECISION NOT NULL,
        data TEXT NOT NULL, received_at DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (bus, epoch, seq))""",
    """CREATE TABLE IF NOT EXISTS epochs (
        bus TEXT NOT NULL, epoch TEXT NOT NULL, upto BIGINT NOT NULL DEFAULT 0,
        first_seen DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (bus, epoch))""",
    """CREATE TABLE IF NOT EXISTS coverage (
        bus TEXT NOT NULL, epoch TEXT NOT NULL, lo BIGINT NOT NULL, hi BIGINT NOT NULL,
        PRIMARY KEY (bus, epoch, lo, hi))""",
    """CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value BIGINT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS replies (
        bus TEXT NOT NULL, id TEXT NOT NULL, ok INTEGER NOT NULL, detail TEXT NOT NULL,
        received_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (bus, id))""",
    # The day's figures read events by type and time; a ticket's page finds its events by ticket id.
    "CREATE INDEX IF NOT EXISTS events_type_ts ON events(type, ts)",
    "CREATE INDEX IF NOT EXISTS events_ticket ON events(json_extract(data, '$.ticket_id'))",
    "CREATE INDEX IF NOT EXISTS positions_bus_ts ON positions(bus, ts)",
    *clock_steps.SCHEMA,
    *contacts.SCHEMA,
]


class HqStorageError(Exception):
    """The headquarters database cannot be used; the message names the URL and the problem."""


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _loads(text: str | None) -> Any:
    return json.loads(text) if text else None


def sqlite_path(url: str) -> Path:
    """``sqlite:////var/lib/ztc-hq/hq.db`` → /var/lib/ztc-hq/hq.db; ``sqlite:///hq.db`` → hq.db."""
    if not url.startswith("sqlite:///"):
        raise HqStorageError(f"not a sqlite URL: {url}")
    return Path(url[len("sqlite:///"):])


class HqStore:
    """One connection; methods are thread-safe (a lock), each write is one transaction."""

    def __init__(self, conn: sqlite3.Connection, label: str):
        self._conn = conn
        self._lock = threading.RLock()
        self.label = label

    @classmethod
    def open(cls, database_url: str) -> HqStore:
        if database_url.startswith("postgresql://"):
            raise HqStorageError("PostgreSQL 尚未支持 / PostgreSQL is not supported yet by this version; "
                                 "use sqlite:///… (the storage layer is written to allow it later)")
        path = sqlite_path(database_url)
        try:
            private_file(path)  # 0600 in a 0700 folder, before SQLite creates it world-readable
            conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=15)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")  # an ack promises the event is durable
            conn.execute("PRAGMA busy_timeout = 15000")
            for statement in SCHEMA:
                conn.execute(statement)
        except (OSError, sqlite3.Error) as e:
            raise HqStorageError(f"总部数据库无法打开 / cannot open the headquarters database {path}: {e}") from e
        return cls(conn, str(path))

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @staticmethod
    def _sql(statement: str) -> str:
        return statement  # PostgreSQL: statement.replace("?", "%s")

    def _tx(self) -> _Transaction:
        return _Transaction(self)

    def _query(self, statement: str, args: tuple = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._conn.execute(self._sql(statement), args).fetchall()

    # Public forms for the other headquarters modules (auth, documents, cases): each owns its tables.
    def ensure_schema(self, statements: list[str]) -> None:
        with self._lock:
            for statement in statements:
                self._conn.execute(statement)

    def transaction(self) -> _Transaction:
        """``with store.transaction() as c: c.execute(store.sql("…"), args)`` — one write transaction."""
        return _Transaction(self)

    def query(self, statement: str, args: tuple = ()) -> list[sqlite3.Row]:
        return self._query(statement, args)

    sql = _sql

    # --- latest state ----------------------------------------------------------------------------

    def record_status(self, bus: str, status: protocol.Status, now: float) -> None:
        with self._tx() as c:
            c.execute(self._sql(
                "INSERT INTO buses(id, online, boot, sw, status_ts, status_at, last_seen) VALUES (?,?,?,?,?,?,?) "
                "ON CONFLICT(id) DO UPDATE SET online = excluded.online, boot = excluded.boot, sw = excluded.sw, "
                "status_ts = excluded.status_ts, status_at = excluded.status_at, last_seen = excluded.last_seen"),
                (bus, int(status.online), status.boot, status.sw, status.ts, now, now))

    def record_latest(self, bus: str, kind: str, payload: dict[str, Any], now: float) -> None:
        """The latest ``position``, ``queue`` or ``health`` of a bus (as sent, unknown fields kept)."""
        self.record_latest_many([(bus, kind, payload, now)])

    def record_latest_many(self, items: list[tuple[str, str, dict[str, Any], float]]) -> None:
        """Several (bus, kind, payload, received) in one transaction, in order."""
        with self._tx() as c:
            for bus, kind, payload, now in items:
                assert kind in ("position", "queue", "health")
                c.execute(self._sql(
                    f"INSERT INTO buses(id, {kind}, last_seen) VALUES (?,?,?) "
                    f"ON CONFLICT(id) DO UPDATE SET {kind} = excluded.{kind}, last_seen = excluded.last_seen"),
                    (bus, _dumps(payload), now))
                if kind == "position":
                    self._insert_position(c, bus, payload, "live")

    def _insert_position(self, c: sqlite3.Connection, bus: str, p: dict[str, Any], source: str) -> None:
        c.execute(self._sql(
            "INSERT INTO positions(bus, ts, source, lat, lon, speed, track, stop) VALUES (?,?,?,?,?,?,?,?) "
            "ON CONFLICT DO NOTHING"),
            (bus, p["ts"], source, p["lat"], p["lon"], p.get("speed"), p.get("track"), p.get("stop")))

    def record_reply(self, bus: str, reply: protocol.CmdReply, now: float) -> None:
        with self._tx() as c:
            c.execute(self._sql("INSERT INTO replies(bus, id, ok, detail, received_at) VALUES (?,?,?,?,?) "
                                "ON CONFLICT DO NOTHING"), (bus, reply.id, int(reply.ok), reply.detail, now))

    # --- events ----------------------------------------------------------------------------------

    def store_events(self, bus: str, batch: protocol.EventBatch, now: float,
                     hold: Callable[[sqlite3.Connection, protocol.Event], bool] | None = None) -> tuple[int, int]:
        """Store a batch idempotently; returns (newly stored, ack watermark for its epoch). ``hold``
        (hq.quarantine via the ingest) may keep an invalid event elsewhere in this same transaction:
        it returns True and the event is covered by the ack but not stored in ``events``."""
        with self._tx() as c:
            c.execute(self._sql("INSERT INTO epochs(bus, epoch, upto, first_seen) VALUES (?,?,0,?) "
                                "ON CONFLICT DO NOTHING"), (bus, batch.epoch, now))
            stored = held = 0
            stepped = clock_steps.any_for(c, self._sql, bus, batch.epoch)  # a bus clock was stepped: fix times
            for e in batch.events:
                if hold is not None and hold(c, e):
                    held += 1
                    continue
                shift = clock_steps.shift_for(c, self._sql, bus, batch.epoch, e.seq) if stepped else 0.0
                ts, data = clock_steps.shifted(e.ts, e.data, shift) if shift else (e.ts, e.data)
                data, phone = contacts.split(data) if e.type == contacts.CALLBACK_EVENT else (data, None)
                cur = c.execute(self._sql(
                    "INSERT INTO events(bus, epoch, seq, id, type, ts, data, received_at) VALUES (?,?,?,?,?,?,?,?) "
                    "ON CONFLICT DO NOTHING"),
                    (bus, batch.epoch, e.seq, e.id, e.type, ts, _dumps(data), now))
                if cur.rowcount == 1:
                    stored += 1
                    if e.type == "track":
                        self._track_positions(c, bus, e.data)
                    elif e.type == "clock.stepped":
                        clock_steps.record(c, self._sql, bus, batch.epoch, e.seq, e.data)
                        stepped = True
                    if phone and isinstance(e.data.get("ticket_id"), str):  # the callback number: its own table
                        c.execute(self._sql(contacts.insert_sql()), (e.data["ticket_id"], bus, phone,
                                                                    str(e.data.get("consent") or ""), "kiosk", now))
            seqs = [e.seq for e in batch.events]
            ranges = [(batch.from_seq, seqs[-1])] if batch.from_seq is not None else _runs(seqs)
            for lo, hi in ranges:
                c.execute(self._sql("INSERT INTO coverage(bus, epoch, lo, hi) VALUES (?,?,?,?) ON CONFLICT DO NOTHING"),
                          (bus, batch.epoch, lo, hi))
            upto = self._advance(c, bus, batch.epoch)
            self._bump(c, "events.stored", stored)
            self._bump(c, "events.duplicate", len(batch.events) - stored - held)
        return stored, upto

    def _track_positions(self, c: sqlite3.Connection, bus: str, data: dict[str, Any]) -> None:
        positions = data.get("positions")
        for raw in positions if isinstance(positions, list) else []:
            try:
                p = protocol.validate(protocol.Position, raw if isinstance(raw, dict) else {})
            except protocol.ProtocolError as err:
                log.warning("bus %s: a recorded position is invalid: %s", bus, err)
                self._bump(c, "invalid.track_position", 1)
                continue
            self._insert_position(c, bus, p.model_dump(), "track")

    def _advance(self, c: sqlite3.Connection, bus: str, epoch: str) -> int:
        """Merge covered ranges into the contiguous watermark from seq 1."""
        upto = c.execute(self._sql("SELECT upto FROM epochs WHERE bus = ? AND epoch = ?"), (bus, epoch)).fetchone()[0]
        for lo, hi in c.execute(self._sql("SELECT lo, hi FROM coverage WHERE bus = ? AND epoch = ? AND hi > ? "
                                          "ORDER BY lo"), (bus, epoch, upto)).fetchall():
            if lo > upto + 1:
                break
            upto = max(upto, hi)
        c.execute(self._sql("DELETE FROM coverage WHERE bus = ? AND epoch = ? AND hi <= ?"), (bus, epoch, upto))
        c.execute(self._sql("UPDATE epochs SET upto = ? WHERE bus = ? AND epoch = ?"), (upto, bus, epoch))
        return int(upto)

    def ack_upto(self, bus: str, epoch: str) -> int:
        rows = self._query("SELECT upto FROM epochs WHERE bus = ? AND epoch = ?", (bus, epoch))
        return int(rows[0][0]) if rows else 0

    # --- counters --------------------------------------------------------------------------------

    def _bump(self, c: sqlite3.Connection, name: str, by: int) -> None:
        if by:
            c.execute(self._sql("INSERT INTO counters(name, value) VALUES (?, ?) "
                                "ON CONFLICT(name) DO UPDATE SET value = counters.value + excluded.value"), (name, by))

    def count(self, name: str, by: int = 1) -> None:
        with self._tx() as c:
            self._bump(c, name, by)

    def counters(self) -> dict[str, int]:
        return {r[0]: int(r[1]) for r in self._query("SELECT name, value FROM counters ORDER BY name")}

    # --- reading (the HTTP API) ------------------------------------------------------------------

    def buses(self) -> list[dict[str, Any]]:
        rows = self._query("SELECT * FROM buses ORDER BY id")
        return [{"id": r["id"], "online": bool(r["online"]), "last_seen": r["last_seen"],
                 "position": _loads(r["position"]), "queue": _loads(r["queue"]), "health": _loads(r["health"]),
                 "boot": r["boot"], "sw": r["sw"], "status_at": r["status_at"]} for r in rows]

    def events(self, bus: str | None = None, after_seq: int = 0, limit: int = 100,
               epoch: str | None = None) -> list[dict[str, Any]]:
        """Stored events in order: per bus, epochs in the order first seen, then seq."""
        where, args = ["e.seq > ?"], [after_seq]
        if bus is not None:
            where.append("e.bus = ?")
            args.append(bus)
        if epoch is not None:
            where.append("e.epoch = ?")
            args.append(epoch)
        rows = self._query(
            "SELECT e.bus, e.epoch, e.seq, e.id, e.type, e.ts, e.data, e.received_at FROM events e "
            "JOIN epochs p ON p.bus = e.bus AND p.epoch = e.epoch WHERE " + " AND ".join(where) +
            " ORDER BY e.bus, p.first_seen, e.epoch, e.seq LIMIT ?", (*args, limit))
        return [{"bus": r[0], "epoch": r[1], "seq": r[2], "id": r[3], "type": r[4], "ts": r[5],
                 "data": json.loads(r[6]), "received_at": r[7]} for r in rows]

    def positions(self, bus: str, start: float, end: float) -> list[dict[str, Any]]:
        rows = self._query("SELECT ts, source, lat, lon, speed, track, stop FROM positions "
                           "WHERE bus = ? AND ts >= ? AND ts < ? ORDER BY ts", (bus, start, end))
        return [dict(r) for r in rows]


def _runs(seqs: list[int]) -> list[tuple[int, int]]:
    """Consecutive runs of sorted seqs: [1,2,3,7,8] → [(1,3),(7,8)]."""
    out: list[tuple[int, int]] = []
    for s in seqs:
        if out and s == out[-1][1] + 1:
            out[-1] = (out[-1][0], s)
        else:
            out.append((s, s))
    return out


class _Transaction:
    """``with store._tx() as conn``: BEGIN IMMEDIATE … COMMIT, or ROLLBACK on any error."""

    def __init__(self, store: HqStore):
        self.store = store

    def __enter__(self) -> sqlite3.Connection:
        self.store._lock.acquire()
        try:
            self.store._conn.execute("BEGIN IMMEDIATE")
        except BaseException:
            self.store._lock.release()
            raise
        return self.store._conn

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        try:
            if exc_type is None:
                self.store._conn.execute("COMMIT")
            elif self.store._conn.in_transaction:
                self.store._conn.execute("ROLLBACK")
        finally:
            self.store._lock.release()
