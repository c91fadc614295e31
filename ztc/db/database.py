"""The bus database: one SQLite file shared by the kiosk roles and the agent.

Why these settings: WAL lets the display and the agent read while a kiosk writes; synchronous=FULL
makes a ticket durable when the call returns (a power cut must not lose a number already printed);
``BEGIN IMMEDIATE`` serialises writers across processes, so two kiosks can never hand out the same
number. Opening and migrating happen under a file lock so processes starting together agree.
"""
from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 15000


class StorageError(Exception):
    """The database cannot do what was asked; the message names the problem and the file."""


class StorageFull(StorageError):
    """The disk (or the database's size limit) is full; the change was rolled back whole."""


def migrations() -> list[tuple[int, str]]:
    """(version, SQL) for every migration shipped, in order."""
    out = []
    for entry in resources.files("ztc.db").joinpath("migrations").iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            out.append((int(name[:4]), entry.read_text(encoding="utf-8")))
    out.sort()
    if [v for v, _ in out] != list(range(1, len(out) + 1)):
        raise StorageError(f"migrations are not numbered 1..n: {[v for v, _ in out]}")
    return out


def latest_version() -> int:
    return len(migrations())


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000)
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def migrate(conn: sqlite3.Connection, target: int | None = None) -> int:
    """Apply forward-only migrations up to ``target`` (default: latest). Returns the new version."""
    current = conn.execute("PRAGMA user_version").fetchone()[0]
    steps = [(v, sql) for v, sql in migrations() if v > current and (target is None or v <= target)]
    if current > latest_version():
        raise StorageError(f"database version {current} is newer than this ztc ({latest_version()}); "
                           "upgrade ztc instead of opening it with an older one")
    for version, sql in steps:
        try:
            conn.executescript(f"BEGIN IMMEDIATE;\n{sql}\nPRAGMA user_version = {version};\nCOMMIT;")
        except sqlite3.Error:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        log.info("database migrated to version %d", version)
        current = version
    return current


def _is_healthy(path: Path) -> str | None:
    """None when the file opens and passes quick_check, else what is wrong."""
    try:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            rows = conn.execute("PRAGMA quick_check").fetchall()
        finally:
            conn.close()
    except sqlite3.DatabaseError as e:
        return str(e)
    result = [r[0] for r in rows]
    return None if result == ["ok"] else "; ".join(result[:5])


def _move_aside(path: Path, problem: str) -> Path:
    stamp = time.strftime("%Y%m%dT%H%M%S")
    aside = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while aside.exists():
        aside = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
        n += 1
    for suffix in ("", "-wal", "-shm"):
        src = Path(str(path) + suffix)
        if src.exists():
            src.rename(Path(str(aside) + suffix))
    log.error("database %s is corrupt (%s); moved aside to %s and started a new one", path, problem, aside)
    return aside


class Database:
    """A connection to the bus database with transaction helpers; safe to share between threads."""

    def __init__(self, conn: sqlite3.Connection, path: Path):
        self.path = path
        self._conn = conn
        self._lock = threading.RLock()

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (BEGIN IMMEDIATE): all of it commits, or none of it.

        It first looks for a step of the wall clock (``ztc.wallclock.observe``), so rows made before a
        step are corrected before anything is written with the new clock, whichever process writes.
        """
        from ztc import wallclock

        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as e:
                raise self._translate(e) from e
            try:
                wallclock.observe(self._conn)
                yield self._conn
                self._conn.execute("COMMIT")
            except BaseException as e:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                if isinstance(e, sqlite3.Error):
                    raise self._translate(e) from e
                raise

    @contextlib.contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A consistent snapshot for several SELECTs."""
        with self._lock:
            self._conn.execute("BEGIN")
            try:
                yield self._conn
            finally:
                if self._conn.in_transaction:
                    self._conn.execute("COMMIT")

    @contextlib.contextmanager
    def maintenance(self) -> Iterator[sqlite3.Connection]:
        """The connection outside any transaction, for checkpoint and VACUUM (which refuse to run in one)."""
        with self._lock:
            try:
                yield self._conn
            except sqlite3.Error as e:
                raise self._translate(e) from e

    def _translate(self, e: sqlite3.Error) -> StorageError:
        code = getattr(e, "sqlite_errorcode", None)
        if code == sqlite3.SQLITE_FULL or "disk is full" in str(e) or "database or disk is full" in str(e):
            return StorageFull(f"存储空间已满，操作未保存 / storage full, nothing was saved: {self.path}: {e}")
        return StorageError(f"数据库错误 / database error: {self.path}: {e}")

    def meta(self, key: str, default: str | None = None) -> str | None:
        with self._lock:
            row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    @property
    def epoch(self) -> str:
        value = self.meta("epoch")
        assert value is not None, "epoch is set when the database is opened"
        return value

    def data_version(self) -> int:
        """Changes whenever another connection commits: a cheap 'anything new?' poll for the UI."""
        with self._lock:
            return self._conn.execute("PRAGMA data_version").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def open_database(path: str | os.PathLike) -> Database:
    """Open (creating, migrating or replacing a corrupt file) the bus database at ``path``."""
    from ztc import wallclock

    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise StorageError(f"cannot create the data directory {path.parent}: {e.strerror}") from e
    lock_path = path.with_name(path.name + ".lock")
    try:
        lock_file = open(lock_path, "a+")  # noqa: SIM115 (held for the whole open)
    except OSError as e:
        raise StorageError(f"cannot open {lock_path}: {e.strerror}") from e
    with lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        problem = _is_healthy(path) if path.exists() and path.stat().st_size > 0 else None
        aside = _move_aside(path, problem) if problem else None
        try:
            conn = _connect(path)
            migrate(conn)
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT OR IGNORE INTO meta(key, value) VALUES ('epoch', ?)", (str(uuid.uuid4()),))
            wallclock.mark_boot(conn)
            if aside is not None:
                note = (f"数据库损坏，已另存为 {aside.name} / "
                        f"database was corrupt ({problem}); moved aside to {aside.name}")
                conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('storage_problem', ?)", (note,))
            conn.execute("COMMIT")
        except sqlite3.Error as e:
            raise StorageError(f"数据库无法打开 / cannot open the database {path}: {e}") from e
    return Database(conn, path)
