"""``ztc hq backup FILE`` / ``ztc hq restore FILE``: a consistent copy of the headquarters database
while it runs, and putting one back into an empty database.

Built on each engine's own tool, not on a table-by-table export of ours: PostgreSQL's ``pg_dump``
(custom format: one consistent snapshot, partitions included) and ``pg_restore`` (one transaction,
stops at the first error); SQLite's online backup API (``sqlite3.Connection.backup``: a
page-by-page copy that stays consistent while the ingest writes). A restore goes only into an
empty database — restoring over live data would mix two histories — and the restored database is
then brought to this version's schema (a backup from an older release is migrated on open).
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from hq.storage import HqStorageError, HqStore, redact_url, sqlite_path


class BackupError(Exception):
    """The backup or restore did not happen; the message names the file or database and why."""


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"找不到 {name} / {name} not found: install Debian's postgresql-client")
    return path


def _run(cmd: list[str], what: str) -> None:
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
    if r.returncode != 0:
        raise BackupError(f"{what}: {(r.stderr or r.stdout).strip()[-2000:]}")


def backup(database_url: str, target: Path) -> Path:
    """Write a backup of the database to ``target`` (replaced only once the copy is complete)."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    if database_url.startswith("postgresql://"):
        _run([_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", f"--file={partial}",
              f"--dbname={database_url}"], f"备份失败 / backup of {redact_url(database_url)} failed")
    else:
        source = sqlite_path(database_url)
        if not source.is_file():
            raise BackupError(f"没有这个数据库 / no database at {source}")
        try:
            src = sqlite3.connect(source, timeout=15)
            dst = sqlite3.connect(partial)
            try:
                src.backup(dst, pages=1024)  # in steps: the ingest's writes go on between them
            finally:
                dst.close()
                src.close()
        except sqlite3.Error as e:
            partial.unlink(missing_ok=True)
            raise BackupError(f"备份失败 / backup of {source} failed: {e}") from e
    os.replace(partial, target)
    return target


def _is_empty(database_url: str) -> bool:
    if database_url.startswith("postgresql://"):
        import psycopg
        with psycopg.connect(database_url, autocommit=True) as conn:
            row = conn.execute("SELECT COUNT(*) FROM pg_tables WHERE schemaname = ANY(current_schemas(false))"
                               ).fetchone()
            return row is not None and row[0] == 0
    path = sqlite_path(database_url)
    if not path.exists() or path.stat().st_size == 0:
        return True
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0] == 0
    finally:
        conn.close()


def restore(database_url: str, source: Path) -> None:
    """Put the backup ``source`` into the (empty) database of ``database_url``, then migrate it."""
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"没有这个备份文件 / no backup file at {source}")
    try:
        empty = _is_empty(database_url)
    except Exception as e:
        raise BackupError(f"数据库无法打开 / cannot open {redact_url(database_url)}: {e}") from e
    if not empty:
        raise BackupError(f"目标数据库不是空的，未恢复 / {redact_url(database_url)} is not empty: restore goes into "
                          "an empty database only (create a new one, or move the old file aside)")
    if database_url.startswith("postgresql://"):
        _run([_tool("pg_restore"), "--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error",
              f"--dbname={database_url}", str(source)], f"恢复失败 / restore of {source} failed")
    else:
        path = sqlite_path(database_url)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
            try:
                if src.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                    raise BackupError(f"恢复失败 / restore of {source} failed: the backup is damaged")
                dst = sqlite3.connect(path)
                try:
                    src.backup(dst)
                finally:
                    dst.close()
            finally:
                src.close()
        except sqlite3.DatabaseError as e:
            raise BackupError(f"恢复失败 / restore of {source} failed: not a headquarters backup ({e})") from e
    try:
        HqStore.open(database_url).close()  # an older backup is migrated to this version now
    except HqStorageError as e:
        raise BackupError(str(e)) from e
