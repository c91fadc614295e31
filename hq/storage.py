"""Headquarters storage: buses' latest state, positions, and every event exactly once.

SQLite by default (``sqlite:///path``), PostgreSQL for a city or province (``postgresql://…``,
through psycopg 3, see hq/pg.py). One portable SQL for both: ``ON CONFLICT``, ``DOUBLE PRECISION``,
no AUTOINCREMENT, JSON kept as text and read through ``json_text``/``json_int``; statements are
written with ``?`` and the PostgreSQL connection turns them into ``%s``. The schema is
hq/migrations.py's, applied on open.

Exactly once: events are unique on (bus, epoch, seq) and on id, inserted with ``ON CONFLICT DO
NOTHING``. The ack watermark ("every event up to here is stored") comes from the ranges each batch
declares complete (``from``..last seq, see docs/protocol.md), merged per (bus, epoch) in the
database under that epoch's row lock — so several ingest processes, each handed some of a bus's
batches by the broker, agree on it; no process's memory is trusted with it.
"""
from __future__ import annotations

import json
import logging
import re
import sqlite3
import threading
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hq import migrations
from telemetry import protocol

log = logging.getLogger(__name__)

class HqStorageError(Exception):
    """The headquarters database cannot be used; the message names the URL and the problem."""


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _loads(text: str | None) -> Any:
    return json.loads(text) if text else None


def redact_url(url: str) -> str:
    """The URL without its password, for messages and logs."""
    return re.sub(r"(://[^:/@]*):[^@/]*@", r"\1:***@", url)


def sqlite_path(url: str) -> Path:
    """``sqlite:////var/lib/ztc-hq/hq.db`` → /var/lib/ztc-hq/hq.db; ``sqlite:///hq.db`` → hq.db."""
    if not url.startswith("sqlite:///"):
        raise HqStorageError(f"not a sqlite URL: {url}")
    return Path(url[len("sqlite:///"):])


class HqStore:
    """One connection; methods are thread-safe (a lock), each write is one transaction.

    ``node`` names this process in the ``counters`` table (each ingest process adds to its own rows,
    see migration 2: its MQTT client id); ``dialect`` is ``sqlite`` or ``postgresql``."""

    def __init__(self, conn: Any, label: str, dialect: str = "sqlite", url: str = "", node: str = ""):
        self._conn = conn
        self._lock = threading.RLock()
        self.label = label
        self.dialect = dialect
        self.url = url
        self.node = node

    @classmethod
    def open(cls, database_url: str, node: str | None = None) -> HqStore:
        """Open (and migrate to the latest schema) the database named by ``hq.database_url``."""
        node = node or ""
        if database_url.startswith("postgresql://"):
            return cls._open_postgresql(database_url, node)
        path = sqlite_path(database_url)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=15)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA busy_timeout = 15000")
            # Only takes effect on a new file: lets retention give freed pages back (hq.retention).
            conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")  # an ack promises the event is durable
            migrations.migrate(conn, "sqlite")
        except (OSError, sqlite3.Error, migrations.MigrationError) as e:
            raise HqStorageError(f"总部数据库无法打开 / cannot open the headquarters database {path}: {e}") from e
        return cls(conn, str(path), "sqlite", database_url, node)

    @classmethod
    def _open_postgresql(cls, database_url: str, node: str) -> HqStore:
        try:
            import psycopg

            from hq.pg import PgConnection
        except ImportError as e:  # setup.py installs it; a hand-made environment may lack it
            raise HqStorageError(f"PostgreSQL 需要 psycopg / PostgreSQL needs psycopg 3 (pip install psycopg): {e}"
                                 ) from e
        label = redact_url(database_url)
        try:
            conn = PgConnection(database_url)
            migrations.migrate(conn, "postgresql")
        except (psycopg.Error, migrations.MigrationError) as e:
            raise HqStorageError(f"总部数据库无法打开 / cannot open the headquarters database {label}: {e}") from e
        store = cls(conn, label, "postgresql", database_url, node)
        from hq import retention
        retention.ensure_partitions(store)
        return store

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @staticmethod
    def _sql(statement: str) -> str:
        return statement  # the PostgreSQL connection turns ? into %s itself (hq.pg)

    def _tx(self) -> _Transaction:
        return _Transaction(self)

    def _query(self, statement: str, args: tuple = ()) -> list[Any]:
        with self._lock:
            return self._conn.execute(statement, args).fetchall()

    # Public forms for the other headquarters modules (auth, documents, cases).
    def ensure_schema(self, statements: list[str]) -> None:
        """Kept for modules not yet moved to hq/migrations.py; new tables belong in a migration."""
        with self._lock:
            for statement in statements:
                self._conn.execute(statement)

    def transaction(self) -> _Transaction:
        """``with store.transaction() as c: c.execute(store.sql("…"), args)`` — one write transaction."""
        return _Transaction(self)

    def query(self, statement: str, args: tuple = ()) -> list[Any]:
        return self._query(statement, args)

    sql = _sql

    def lock(self, c: Any, name: str) -> None:
        """Inside a transaction: wait until no other process's transaction holds ``name``
        (PostgreSQL transaction advisory lock; SQLite's BEGIN IMMEDIATE already serialises writers).
        For read-then-write steps such as "next version = highest + 1" from several web processes."""
        if self.dialect == "postgresql":
            c.execute("SELECT pg_advisory_xact_lock(?)", (zlib.crc32(name.encode()),))

    def run_alone(self, name: str, task: Callable[[], Any]) -> Any:
        """Run ``task`` unless another process runs the same-named task now (PostgreSQL session
        advisory lock; SQLite has one process): with N ingest processes, one publishes the waiting
        documents and commands at a time, so a command is not sent twice. None when skipped."""
        if self.dialect != "postgresql":
            return task()
        key = zlib.crc32(name.encode())
        with self._lock:
            if not self._conn.execute("SELECT pg_try_advisory_lock(?)", (key,)).fetchone()[0]:
                return None
        try:
            return task()
        finally:
            with self._lock:
                self._conn.execute("SELECT pg_advisory_unlock(?)", (key,))

    def json_text(self, column: str, key: str) -> str:
        """SQL for the text of ``column``'s JSON field ``key`` (the same expression as the index)."""
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
            raise ValueError(f"not a JSON key for SQL: {key!r}")
        if self.dialect == "postgresql":
            return f"({column}::jsonb ->> '{key}')"
        return f"json_extract({column}, '$.{key}')"

    def json_int(self, column: str, key: str) -> str:
        """SQL for ``column``'s JSON field ``key`` as an integer; NULL when it is not a number
        (SQLite's CAST would make a word 0; PostgreSQL's would fail the whole query)."""
        if self.dialect == "postgresql":
            field = f"({column}::jsonb -> '{key}')"
            return (f"(CASE WHEN jsonb_typeof({field}) = 'number' AND abs(({field})::numeric) < 1e15 "
                    f"THEN trunc(({field})::numeric)::bigint END)")
        return f"CAST({self.json_text(column, key)} AS INTEGER)"

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
        """Several (bus, kind, payload, received) in one transaction, in order per bus. Rows are
        touched in the order of bus ids, so two processes storing batches that share buses take
        the row locks in the same order and never deadlock (PostgreSQL)."""
        if self.dialect == "postgresql":
            return self._record_latest_pg(items)
        with self._tx() as c:
            for bus, kind, payload, now in sorted(items, key=lambda item: item[0]):
                assert kind in ("position", "queue", "health")
                c.execute(self._sql(
                    f"INSERT INTO buses(id, {kind}, last_seen) VALUES (?,?,?) "
                    f"ON CONFLICT(id) DO UPDATE SET {kind} = excluded.{kind}, last_seen = excluded.last_seen"),
                    (bus, _dumps(payload), now))
                if kind == "position":
                    self._insert_position(c, bus, payload, "live")

    def _record_latest_pg(self, items: list[tuple[str, str, dict[str, Any], float]]) -> None:
        """PostgreSQL: one row per bus with the newest of each kind (a NULL keeps the stored one), and
        the positions, each as one ``executemany`` — psycopg pipelines them, so a burst costs a few
        round trips instead of two per message. One statement over buses in id order: one lock order."""
        latest: dict[str, dict[str, Any]] = {}
        positions = []
        for bus, kind, payload, now in items:
            assert kind in ("position", "queue", "health")
            row = latest.setdefault(bus, {"position": None, "queue": None, "health": None, "now": now})
            row[kind], row["now"] = _dumps(payload), max(row["now"], now)
            if kind == "position":
                positions.append((bus, payload["ts"], "live", payload["lat"], payload["lon"], payload.get("speed"),
                                  payload.get("track"), payload.get("stop")))
        with self._tx() as c:
            c.executemany(
                "INSERT INTO buses(id, position, queue, health, last_seen) VALUES (?,?,?,?,?) "
                "ON CONFLICT(id) DO UPDATE SET position = COALESCE(excluded.position, buses.position), "
                "queue = COALESCE(excluded.queue, buses.queue), health = COALESCE(excluded.health, buses.health), "
                "last_seen = excluded.last_seen",
                [(bus, r["position"], r["queue"], r["health"], r["now"]) for bus, r in sorted(latest.items())])
            if positions:
                c.executemany("INSERT INTO positions(bus, ts, source, lat, lon, speed, track, stop) "
                              "VALUES (?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING", positions)

    def _insert_position(self, c: Any, bus: str, p: dict[str, Any], source: str) -> None:
        c.execute(self._sql(
            "INSERT INTO positions(bus, ts, source, lat, lon, speed, track, stop) VALUES (?,?,?,?,?,?,?,?) "
            "ON CONFLICT DO NOTHING"),
            (bus, p["ts"], source, p["lat"], p["lon"], p.get("speed"), p.get("track"), p.get("stop")))

    def record_reply(self, bus: str, reply: protocol.CmdReply, now: float) -> None:
        with self._tx() as c:
            c.execute(self._sql("INSERT INTO replies(bus, id, ok, detail, received_at) VALUES (?,?,?,?,?) "
                                "ON CONFLICT DO NOTHING"), (bus, reply.id, int(reply.ok), reply.detail, now))

    # --- events ----------------------------------------------------------------------------------

    def store_events(self, bus: str, batch: protocol.EventBatch, now: float) -> tuple[int, int]:
        """Store a batch idempotently; returns (newly stored, ack watermark for its epoch)."""
        with self._tx() as c:
            c.execute(self._sql("INSERT INTO epochs(bus, epoch, upto, first_seen) VALUES (?,?,0,?) "
                                "ON CONFLICT DO NOTHING"), (bus, batch.epoch, now))
            if self.dialect == "postgresql":
                # The per-(bus, epoch) lock: batches of one epoch handled by several ingest processes
                # are stored one after the other, so the watermark merges every committed range.
                c.execute("SELECT upto FROM epochs WHERE bus = ? AND epoch = ? FOR UPDATE", (bus, batch.epoch))
            stored = 0
            for e in batch.events:
                cur = c.execute(self._sql(
                    "INSERT INTO events(bus, epoch, seq, id, type, ts, data, received_at) VALUES (?,?,?,?,?,?,?,?) "
                    "ON CONFLICT DO NOTHING"),
                    (bus, batch.epoch, e.seq, e.id, e.type, e.ts, _dumps(e.data), now))
                if cur.rowcount == 1:
                    stored += 1
                    if e.type == "track":
                        self._track_positions(c, bus, e.data)
            seqs = [e.seq for e in batch.events]
            ranges = [(batch.from_seq, seqs[-1])] if batch.from_seq is not None else _runs(seqs)
            for lo, hi in ranges:
                c.execute(self._sql("INSERT INTO coverage(bus, epoch, lo, hi) VALUES (?,?,?,?) ON CONFLICT DO NOTHING"),
                          (bus, batch.epoch, lo, hi))
            upto = self._advance(c, bus, batch.epoch)
            self._bump(c, "events.stored", stored)
            self._bump(c, "events.duplicate", len(batch.events) - stored)
        return stored, upto

    def _track_positions(self, c: Any, bus: str, data: dict[str, Any]) -> None:
        positions = data.get("positions")
        for raw in positions if isinstance(positions, list) else []:
            try:
                p = protocol.validate(protocol.Position, raw if isinstance(raw, dict) else {})
            except protocol.ProtocolError as err:
                log.warning("bus %s: a recorded position is invalid: %s", bus, err)
                self._bump(c, "invalid.track_position", 1)
                continue
            self._insert_position(c, bus, p.model_dump(), "track")

    def _advance(self, c: Any, bus: str, epoch: str) -> int:
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

    def _bump(self, c: Any, name: str, by: int) -> None:
        if by:
            c.execute(self._sql("INSERT INTO counters(name, node, value) VALUES (?, ?, ?) ON CONFLICT(name, node) "
                                "DO UPDATE SET value = counters.value + excluded.value"), (name, self.node, by))

    def count(self, name: str, by: int = 1) -> None:
        with self._tx() as c:
            self._bump(c, name, by)

    def counters(self) -> dict[str, int]:
        rows = self._query("SELECT name, SUM(value) FROM counters GROUP BY name ORDER BY name")
        return {r[0]: int(r[1]) for r in rows}

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
    """``with store._tx() as conn``: BEGIN (IMMEDIATE on SQLite: the write lock at once) … COMMIT,
    or ROLLBACK on any error."""

    def __init__(self, store: HqStore):
        self.store = store

    def __enter__(self) -> Any:
        self.store._lock.acquire()
        try:
            self.store._conn.execute("BEGIN IMMEDIATE" if self.store.dialect == "sqlite" else "BEGIN")
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
