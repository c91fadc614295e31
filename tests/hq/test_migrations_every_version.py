"""HQ migrations from every earlier version to the latest, on both engines: the upgraded database has
exactly a fresh database's schema (tables, columns, keys, indexes, triggers, partitions) and keeps
every row it held.

The earlier versions are: each numbered step 1..n-1 (both engines), and each schema that a release
before numbered migrations made (SQLite only: PostgreSQL was refused then), kept as the SQL that
release left in ``sqlite_master`` (tests/hq/legacy_schemas, one file per distinct schema in the
history of hq/). Every table gets one row of values its columns accept; after the upgrade the row
is still there with the same values (counters gain a ``node`` column, login_failures is dropped by
step 4: those are the schema's own changes, and the comparison with a fresh database proves them).
"""
from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hq import migrations
from hq.context import HqContext
from hq.storage import HqStore, sqlite_path
from tests.hq.test_migrations import _raw
from ztc.settings import HqSettings

LEGACY = sorted((Path(__file__).parent / "legacy_schemas").glob("*.sql"))


# --- the schema, as each engine describes it ---------------------------------------------------

def _shape_sqlite(conn: Any) -> dict[str, Any]:
    shape: dict[str, Any] = {}
    for name, kind, table, sql in conn.execute(
            "SELECT name, type, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'").fetchall():
        if kind == "table":
            shape[f"table {name}"] = [tuple(r) for r in conn.execute(f"PRAGMA table_xinfo('{name}')").fetchall()]
        elif kind == "index":
            columns = [tuple(r) for r in conn.execute(f"PRAGMA index_xinfo('{name}')").fetchall()]
            shape[f"index {name}"] = (table, columns, re.sub(r"\s+", " ", sql or ""))
        else:  # triggers (and views, none today): their text says what they do
            shape[f"{kind} {name}"] = (table, re.sub(r"\s+", " ", sql or ""))
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
        for r in conn.execute(f"PRAGMA index_list('{name}')").fetchall():
            if r[1].startswith("sqlite_autoindex"):  # a UNIQUE or PRIMARY KEY: its columns, not its number
                cols = [c[2] for c in conn.execute(f"PRAGMA index_info('{r[1]}')").fetchall()]
                shape.setdefault(f"keys {name}", []).append((r[2], r[3], cols))
        if f"keys {name}" in shape:
            shape[f"keys {name}"].sort()
    return shape


def _shape_postgresql(conn: Any) -> dict[str, Any]:
    shape: dict[str, Any] = {}
    schema = conn.execute("SELECT current_schema()").fetchone()[0]
    for r in conn.execute(
            "SELECT table_name, column_name, ordinal_position, data_type, is_nullable, column_default, is_identity "
            "FROM information_schema.columns WHERE table_schema = current_schema()").fetchall():
        shape.setdefault(f"table {r[0]}", []).append(tuple(r[1:]))
    for key in shape:
        shape[key].sort(key=lambda c: c[1])
    for name, table, definition in conn.execute(
            "SELECT indexname, tablename, indexdef FROM pg_indexes WHERE schemaname = current_schema()").fetchall():
        shape[f"index {name}"] = (table, definition.replace(f"{schema}.", ""))
    for name, table, definition in conn.execute(
            "SELECT c.conname, t.relname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
            "JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace "
            "WHERE n.nspname = current_schema()").fetchall():
        shape[f"constraint {table}.{name}"] = definition
    for name, table, definition in conn.execute(
            "SELECT g.tgname, t.relname, pg_get_triggerdef(g.oid) FROM pg_trigger g "
            "JOIN pg_class t ON t.oid = g.tgrelid JOIN pg_namespace n ON n.oid = t.relnamespace "
            "WHERE n.nspname = current_schema() AND NOT g.tgisinternal").fetchall():
        shape[f"trigger {name}"] = (table, definition.replace(f"{schema}.", ""))
    for child, parent, bound in conn.execute(
            "SELECT c.relname, p.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema()").fetchall():
        shape[f"partition {child}"] = (parent, bound)
    for name, body in conn.execute(
            "SELECT p.proname, p.prosrc FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = current_schema()").fetchall():
        shape[f"function {name}"] = re.sub(r"\s+", " ", body)
    return shape


def shape(url: str) -> dict[str, Any]:
    conn, dialect = _raw(url)
    try:
        return _shape_sqlite(conn) if dialect == "sqlite" else _shape_postgresql(conn)
    finally:
        conn.close()


# --- one row in every table, and finding it again ----------------------------------------------

def _columns(conn: Any, dialect: str, table: str) -> list[tuple[str, str]]:
    """(name, declared type) of each column a row must or may carry (not a generated identity)."""
    if dialect == "sqlite":
        return [(r[1], r[2].upper()) for r in conn.execute(f"PRAGMA table_info('{table}')").fetchall()]
    return [(r[0], r[1].upper()) for r in conn.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND table_name = ? ORDER BY ordinal_position", (table,)).fetchall()]


def _tables(conn: Any, dialect: str) -> list[str]:
    if dialect == "sqlite":
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    else:  # the partitioned positions table, not each partition; not the runner's own version table
        rows = conn.execute("SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                            "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition "
                            "AND c.relname <> 'schema_version'")
    return sorted(r[0] for r in rows.fetchall())


def _value(table: str, column: str, declared: str) -> Any:
    """A value of the column's type, different in every table and column; text is a JSON string so
    that the indexes on JSON fields (events_ticket) read it."""
    if "BLOB" in declared or "BYTEA" in declared:
        return f"{table}.{column}".encode() + b"\x00\xff"
    if "INT" in declared:
        return 1 + len(table) * 31 + len(column)
    if "DOUBLE" in declared or "REAL" in declared:
        return 0.5 + len(table) * 7 + len(column)
    return f'"{table}.{column}"'


def fill(url: str) -> dict[str, dict[str, Any]]:
    """One row in every table of the database as it stands; returns them by table."""
    conn, dialect = _raw(url)
    rows: dict[str, dict[str, Any]] = {}
    try:
        for table in _tables(conn, dialect):
            row = {name: _value(table, name, declared) for name, declared in _columns(conn, dialect, table)}
            names = ", ".join(row)
            conn.execute(f"INSERT INTO {table}({names}) VALUES ({', '.join('?' * len(row))})", tuple(row.values()))
            rows[table] = row
    finally:
        conn.close()
    return rows


def assert_rows_kept(url: str, rows: dict[str, dict[str, Any]], dropped: set[str]) -> None:
    conn, dialect = _raw(url)
    try:
        present = set(_tables(conn, dialect))
        assert dropped == set(rows) - present, "tables gone after the upgrade"
        for table, row in rows.items():
            if table in dropped:
                continue
            got = conn.execute(f"SELECT {', '.join(row)} FROM {table}").fetchall()
            assert tuple(row.values()) in [tuple(bytes(v) if isinstance(v, memoryview) else v for v in r)
                                           for r in got], table
    finally:
        conn.close()


def fresh_shape(new_url: Callable[[], str]) -> dict[str, Any]:
    url = new_url()
    HqStore.open(url).close()
    return shape(url)


def upgrade_and_check(url: str, rows: dict[str, dict[str, Any]], fresh: dict[str, Any]) -> None:
    store = HqStore.open(url, node="n1")
    try:
        HqContext.build(store, HqSettings())  # every module works on the upgraded schema
        store.count("migrated", 1)
        assert store.counters()["migrated"] == 1
    finally:
        store.close()
    conn, dialect = _raw(url)
    assert migrations.current_version(conn, dialect) == migrations.latest_version()
    conn.close()
    got = shape(url)
    assert sum(k.startswith("table ") for k in fresh) >= 30  # the whole schema was read
    assert {k: v for k, v in got.items() if k not in fresh} == {}, "more than a fresh database has"
    assert {k: v for k, v in fresh.items() if got.get(k) != v} == {}, "unlike a fresh database"
    assert_rows_kept(url, rows, {"login_failures"} & set(rows))


# --- the tests ----------------------------------------------------------------------------------

@pytest.mark.parametrize("start", range(0, migrations.latest_version()))
def test_from_every_numbered_version_to_the_latest_schema_with_every_row(
        hq_url: str, new_hq_url: Callable[[], str], start: int) -> None:
    """Version 0 is an empty database (a new county); 1..n-1 a database an earlier ztc left."""
    conn, dialect = _raw(hq_url)
    assert migrations.migrate(conn, dialect, target=start) == start
    conn.close()
    rows = fill(hq_url)
    assert (start == 0) == (rows == {})
    upgrade_and_check(hq_url, rows, fresh_shape(new_hq_url))


@pytest.mark.parametrize("legacy", LEGACY, ids=[p.stem for p in LEGACY])
def test_from_a_database_made_before_numbered_migrations(tmp_path: Path, legacy: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old' / 'hq.db'}"
    conn, dialect = _raw(url)
    conn.executescript(legacy.read_text())
    assert migrations.current_version(conn, dialect) == 0
    conn.close()
    sqlite_path(url).chmod(0o600)
    rows = fill(url)
    assert {"buses", "events", "epochs", "counters"} <= set(rows)
    upgrade_and_check(url, rows, fresh_shape(lambda: f"sqlite:///{tmp_path / 'new' / 'hq.db'}"))


def test_the_legacy_schemas_are_those_files_and_differ_from_each_other() -> None:
    """Each file is a distinct schema of the history (one per change), the oldest first."""
    texts = [p.read_text().split("\n", 2)[2] for p in LEGACY]
    assert len(LEGACY) >= 10 and len(set(texts)) == len(texts)
    for p in LEGACY:
        db = sqlite3.connect(":memory:")
        db.executescript(p.read_text())
        assert db.execute("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0] >= 7
