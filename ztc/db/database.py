"""The bus database: one SQLite file shared by the kiosk roles and the agent.

Why these settings: WAL lets the display and the agent read while a kiosk writes; synchronous=FULL
makes a ticket durable when the call returns (a power cut must not lose a number already printed);
``BEGIN IMMEDIATE`` serialises writers across processes, so two kiosks can never hand out the same
number. Opening and migrating happen under a file lock so processes starting together agree.
Only a file SQLite calls damaged (SQLITE_CORRUPT, SQLITE_NOTADB, a failed quick_check) is moved
aside on open; a file another process holds locked is waited for, never replaced.
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


class StorageBusy(StorageError):
    """Another process kept the database locked longer than we wait; nothing was changed or replaced."""


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


def _connect(path: Path, timeout_s: float) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=timeout_s)
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {int(timeout_s * 1000)}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def migrate(conn: sqlite3.Connection, target: int | None = None) -> int:
    """Apply forward-only migrations up to ``target`` (default: latest). Returns the new version."""
    current = int(conn.execute("PRAGMA user_version").fetchone()[0])
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


# What an sqlite3 exception means for opening (``sqlite_errorcode`` is SQLite's extended code; the low
# byte is the primary one). Only damage may move a file aside: busy/locked is another process at work
# (a long transaction, housekeeping's VACUUM) on a healthy file, and anything else (permissions, I/O)
# is not cured by starting a new database either.
_CORRUPT = {sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB}
_BUSY = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}


def _primary_code(e: sqlite3.Error) -> int | None:
    code = getattr(e, "sqlite_errorcode", None)
    return None if code is None else code & 0xFF


def is_busy(e: sqlite3.Error) -> bool:
    """The file is locked by another connection (SQLITE_BUSY / SQLITE_LOCKED and their extended codes)."""
    return _primary_code(e) in _BUSY


def is_corrupt(e: sqlite3.Error) -> bool:
    """SQLite says the file is damaged or not a database at all (SQLITE_CORRUPT / SQLITE_NOTADB)."""
    return _primary_code(e) in _CORRUPT


class _Busy(Exception):
    """One open attempt met a lock held by another process; the caller waits and tries again.

    ``note`` carries the storage problem to record when this attempt had already moved a corrupt
    file aside, so the retry still reports it."""

    def __init__(self, message: str, note: str | None = None):
        super().__init__(message)
        self.note = note


def _check_health(path: Path, timeout_s: float) -> str | None:
    """None when the file passes quick_check; what is damaged when it is corrupt.

    Raises _Busy when another process holds it locked, StorageError for any other failure (a file
    that cannot be read is not thereby corrupt, and must not be moved aside)."""
    try:
        conn = sqlite3.connect(path, timeout=timeout_s)
        try:
            rows = conn.execute("PRAGMA quick_check").fetchall()
        finally:
            conn.close()
    except sqlite3.Error as e:
        if is_corrupt(e):
            return str(e)
        if is_busy(e):
            raise _Busy(str(e)) from e
        raise StorageError(f"数据库无法读取（未改动）/ cannot read the database {path} (left as it is): {e}") from e
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
        if is_busy(e):
            return StorageBusy(f"数据库被其他进程占用，操作未保存 / database busy (locked by another process), "
                               f"nothing was saved: {self.path}: {e}")
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
            return int(self._conn.execute("PRAGMA data_version").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._conn.close()


OPEN_WAIT_S = 120.0  # how long an open waits for another process's lock before it reports "busy"
_ATTEMPT_TIMEOUT_S = 2.0  # SQLite's own busy wait per attempt; between attempts the open lock is let go
_RETRY_PAUSE_S = 0.25
_BUSY_LOG_EVERY_S = 10.0


def open_database(path: str | os.PathLike[str], wait_s: float = OPEN_WAIT_S) -> Database:
    """Open (creating, migrating or replacing a corrupt file) the bus database at ``path``.

    A lock held by another process is waited for (up to ``wait_s``, then StorageBusy): a busy file is
    healthy, and moving it aside would hide the waiting tickets and restart the numbering."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise StorageError(f"cannot create the data directory {path.parent}: {e.strerror}") from e
    lock_path = path.with_name(path.name + ".lock")
    started = time.monotonic()
    deadline = started + wait_s
    logged_at = started
    note: str | None = None
    while True:
        try:
            timeout_s = max(0.05, min(_ATTEMPT_TIMEOUT_S, deadline - time.monotonic()))
            return _open_once(path, lock_path, timeout_s, note)
        except _Busy as e:
            note = e.note or note
            now = time.monotonic()
            if now >= deadline:
                raise StorageBusy(f"数据库被其他进程占用，等待 {wait_s:.0f} 秒后仍未释放，文件未改动 / "
                                  f"database {path} is busy: another process held it locked for "
                                  f"{wait_s:.0f} s ({e}); nothing was changed, try again") from None
            if now - logged_at >= _BUSY_LOG_EVERY_S or logged_at == started:
                log.warning("database %s is locked by another process (%s); waiting (up to %.0f s)", path, e, wait_s)
                logged_at = now
            time.sleep(min(_RETRY_PAUSE_S, max(0.0, deadline - now)))


def _open_once(path: Path, lock_path: Path, timeout_s: float, note: str | None = None) -> Database:
    """One attempt under the open lock; raises _Busy when another process's lock got in the way."""
    from ztc import wallclock

    try:
        lock_file = open(lock_path, "a+")  # noqa: SIM115 (held for the whole open)
    except OSError as e:
        raise StorageError(f"cannot open {lock_path}: {e.strerror}") from e
    with lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        problem = _check_health(path, timeout_s) if path.exists() and path.stat().st_size > 0 else None
        if problem:
            aside = _move_aside(path, problem)
            note = (f"数据库损坏，已另存为 {aside.name} / "
                    f"database was corrupt ({problem}); moved aside to {aside.name}")
        conn = None
        try:
            conn = _connect(path, timeout_s)
            migrate(conn)
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT OR IGNORE INTO meta(key, value) VALUES ('epoch', ?)", (str(uuid.uuid4()),))
            wallclock.mark_boot(conn)
            if note is not None:
                conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('storage_problem', ?)", (note,))
            conn.execute("COMMIT")
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        except sqlite3.Error as e:
            if conn is not None:
                conn.close()
            if is_busy(e):
                raise _Busy(str(e), note) from e
            raise StorageError(f"数据库无法打开 / cannot open the database {path}: {e}") from e
    return Database(conn, path)
