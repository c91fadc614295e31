"""The HQ schema migrations: from every earlier version (and from a database made before there were
migrations) to the latest, on SQLite and PostgreSQL, data kept; a newer database is refused."""
from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from contract import protocol
from hq import migrations
from hq.context import HqContext
from hq.storage import HqStorageError, HqStore, sqlite_path
from ztc.settings import HqSettings


def _raw(url: str) -> tuple[Any, str]:
    """A bare connection as the runner takes it (autocommit), and its dialect."""
    if url.startswith("sqlite"):
        path = sqlite_path(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        return sqlite3.connect(path, isolation_level=None), "sqlite"
    from hq.pg import PgConnection
    return PgConnection(url), "postgresql"


def _fill(conn: Any, version: int) -> None:
    """Rows as a database at ``version`` held them."""
    conn.execute("INSERT INTO events(bus, epoch, seq, id, type, ts, data, received_at) "
                 "VALUES ('b1', 'e', 1, 'x1', 'rating', 100, '{\"level\": 1}', 100)")
    conn.execute("INSERT INTO epochs(bus, epoch, upto, first_seen) VALUES ('b1', 'e', 1, 100)")
    if version == 1:
        conn.execute("INSERT INTO counters(name, value) VALUES ('events.stored', 7)")
    else:
        conn.execute("INSERT INTO counters(name, node, value) VALUES ('events.stored', 'a', 7)")


def _check_latest(url: str) -> None:
    store = HqStore.open(url, node="n1")
    try:
        conn, dialect = _raw(url)
        assert migrations.current_version(conn, dialect) == migrations.latest_version()
        conn.close()
        assert store.counters()["events.stored"] == 7
        store.count("events.stored", 2)
        assert store.counters()["events.stored"] == 9
        assert [e["id"] for e in store.events(bus="b1")] == ["x1"]
        assert store.ack_upto("b1", "e") == 1
        assert [c["id"] for c in HqContext.build(store, HqSettings()).cases.listing(200)] == ["x1"]
    finally:
        store.close()


@pytest.mark.parametrize("start", range(1, migrations.latest_version()))
def test_every_earlier_version_migrates_to_the_latest_with_its_data(hq_url: str, start: int) -> None:
    conn, dialect = _raw(hq_url)
    assert migrations.migrate(conn, dialect, target=start) == start
    _fill(conn, start)
    conn.close()
    _check_latest(hq_url)


def test_a_database_made_before_migrations_is_adopted(tmp_path: Path) -> None:
    """Earlier releases created the tables with IF NOT EXISTS and kept no version (SQLite only:
    PostgreSQL was refused then)."""
    hq_url = f"sqlite:///{tmp_path / 'hq.db'}"
    conn, dialect = _raw(hq_url)
    for statement in migrations.STEPS[0].statements("sqlite"):
        conn.execute(statement)
    _fill(conn, 1)
    assert migrations.current_version(conn, dialect) == 0
    conn.close()
    _check_latest(hq_url)


def test_a_database_whose_modules_made_their_own_tables_is_adopted_with_their_rows(tmp_path: Path) -> None:
    """Releases before step 4 let the clock-step, audit, quarantine, log-in, stop and calendar
    modules create their tables themselves (with IF NOT EXISTS, no version): step 4 keeps them and
    their rows, and the audit log's triggers still refuse changes."""
    hq_url = f"sqlite:///{tmp_path / 'hq.db'}"
    conn, _ = _raw(hq_url)
    for statement in (*migrations.STEPS[0].statements("sqlite"), *migrations.STEPS[3].statements("sqlite")[:-1]):
        conn.execute(statement)
    _fill(conn, 1)
    conn.execute("INSERT INTO audit_log(at, actor, client, kind, target) VALUES (100, 'a', 'x', 'login', 'u')")
    conn.execute("INSERT INTO quarantine(bus, key, topic, reason, raw, raw_bytes, received_at) "
                 "VALUES ('b1', 'k', 't', 'bad', X'00ff', 2, 100)")
    conn.close()
    _check_latest(hq_url)
    store = HqStore.open(hq_url)
    try:
        assert [(r["target"], bytes(r["raw"])) for r in store.query(
            "SELECT target, raw FROM audit_log, quarantine")] == [("u", b"\x00\xff")]
        with pytest.raises(sqlite3.DatabaseError, match="cannot be changed"), store.transaction() as c:
            c.execute("UPDATE audit_log SET actor = 'b'")
        assert store.query("SELECT COUNT(*) FROM sqlite_master WHERE name = 'login_failures'")[0][0] == 0
    finally:
        store.close()


def test_the_quarantine_keeps_raw_bytes_on_both_backends(hq_url: str) -> None:
    """BLOB on SQLite, BYTEA on PostgreSQL: the bytes that were refused come back as they were."""
    from hq import quarantine
    store = HqStore.open(hq_url)
    try:
        raw = bytes(range(256))
        assert quarantine.hold_message(store, "b1", "ztc/v1/bus/b1/events", raw, "not JSON", 100.0)
        assert not quarantine.hold_message(store, "b1", "ztc/v1/bus/b1/events", raw, "not JSON", 101.0)
        assert [bytes(r["raw"]) for r in store.query("SELECT raw FROM quarantine")] == [raw]
        assert store.counters()["quarantine.held"] == 1
    finally:
        store.close()


def test_ensure_schema_creates_a_modules_table_on_both_backends(hq_url: str) -> None:
    """Modules still being written create their tables with ensure_schema: SQLite's spelling of an
    auto-numbered key and of bytes works on PostgreSQL too, and running it again changes nothing."""
    store = HqStore.open(hq_url)
    try:
        schema = ["CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY AUTOINCREMENT, body BLOB NOT NULL)",
                  "CREATE INDEX IF NOT EXISTS notes_body ON notes(body)"]
        store.ensure_schema(schema)
        store.ensure_schema(schema)
        with store.transaction() as c:
            first = c.execute("INSERT INTO notes(body) VALUES (?) RETURNING id", (b"a",)).fetchone()[0]
            second = c.execute("INSERT INTO notes(body) VALUES (?) RETURNING id", (b"b",)).fetchone()[0]
        assert second > first
        assert [bytes(r[0]) for r in store.query("SELECT body FROM notes ORDER BY id")] == [b"a", b"b"]
    finally:
        store.close()


def test_an_empty_database_gets_the_latest_and_opening_again_changes_nothing(hq_url: str) -> None:
    HqStore.open(hq_url).close()
    conn, dialect = _raw(hq_url)
    assert migrations.current_version(conn, dialect) == migrations.latest_version()
    assert migrations.migrate(conn, dialect) == migrations.latest_version()
    conn.close()


def test_a_newer_database_is_refused_with_a_clear_message(hq_url: str) -> None:
    HqStore.open(hq_url).close()
    conn, dialect = _raw(hq_url)
    if dialect == "sqlite":
        conn.execute("PRAGMA user_version = 99")
    else:
        conn.execute("UPDATE schema_version SET version = 99")
    conn.close()
    with pytest.raises(HqStorageError, match="version 99, newer than this ztc"):
        HqStore.open(hq_url)


def test_migrations_are_numbered_without_gaps() -> None:
    assert [s.version for s in migrations.STEPS] == list(range(1, migrations.latest_version() + 1))


def test_a_rating_level_that_is_not_a_number_opens_no_case_and_breaks_no_read(hq_url: str) -> None:
    """JSON is read the same on both engines: a word, a fraction or a huge number as ``level``."""
    store = HqStore.open(hq_url)
    events = [{"seq": n, "id": f"r{n}", "type": "rating", "ts": 100 + n, "data": {"level": level}}
              for n, level in enumerate(["bad", 1.7, 10**30, None, 2, [1]], start=1)]
    store.store_events("b1", protocol.validate(protocol.EventBatch, {"epoch": "e", "events": events}), 200)
    cases = HqContext.build(store, HqSettings()).cases.listing(300)
    assert sorted(c["id"] for c in cases) == ["r5"]  # 1.7 is no level (hq.ratings takes whole numbers only)
    store.close()


def test_back_office_step_adopts_a_users_table_that_already_has_disabled(new_hq_url: Callable[[], str]) -> None:
    """Main's hq.auth added users.disabled itself: step 6 must neither fail on it nor lose the flag; a
    database without the column gets it, accounts stay enabled."""
    for has_column in (True, False):
        hq_url = new_hq_url()
        conn, dialect = _raw(hq_url)
        migrations.migrate(conn, dialect, target=5)
        if has_column:
            conn.execute("ALTER TABLE users ADD COLUMN disabled BIGINT NOT NULL DEFAULT 0")
            conn.execute("INSERT INTO users(name, role, hash, created_at, disabled) VALUES ('a', 'admin', 'h', 1, 1)")
        else:
            conn.execute("INSERT INTO users(name, role, hash, created_at) VALUES ('a', 'admin', 'h', 1)")
        conn.close()
        store = HqStore.open(hq_url)
        assert [tuple(r) for r in store.query("SELECT name, disabled FROM users")] == [("a", int(has_column))]
        assert store.query("SELECT COUNT(*) FROM bookings")[0][0] == 0  # the back office's tables exist
        store.close()
