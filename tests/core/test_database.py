"""The bus database: durability settings, migrations, corruption, full disk, several processes."""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.core.conftest import events
from ztc.db import StorageError, StorageFull, latest_version, migrate, open_database
from ztc.db.database import migrations

REPO = Path(__file__).resolve().parents[2]


def test_wal_and_full_sync(tmp_path):
    db = open_database(tmp_path / "bus.db")
    with db.read() as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert len(db.epoch) == 36


def test_epoch_is_stable_across_opens(tmp_path):
    first = open_database(tmp_path / "bus.db").epoch
    assert open_database(tmp_path / "bus.db").epoch == first


@pytest.mark.parametrize("start", range(0, latest_version() + 1))
def test_migrates_from_every_earlier_version(tmp_path, start):
    path = tmp_path / "bus.db"
    conn = sqlite3.connect(path, isolation_level=None)
    assert migrate(conn, target=start) == start
    if start >= 1:  # data written by that version must survive the upgrade
        conn.execute("INSERT INTO meta(key, value) VALUES ('epoch', 'kept-epoch')")
    conn.close()
    db = open_database(path)
    with db.read() as c:
        assert c.execute("PRAGMA user_version").fetchone()[0] == latest_version()
        assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        tables = {r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"meta", "outbox", "tickets", "visits", "records", "ratings", "appointments", "documents"} <= tables
    if start >= 1:
        assert db.epoch == "kept-epoch"


def test_migrations_are_numbered_and_forward_only(tmp_path):
    versions = [v for v, _ in migrations()]
    assert versions == list(range(1, len(versions) + 1))
    conn = sqlite3.connect(tmp_path / "bus.db", isolation_level=None)
    conn.execute(f"PRAGMA user_version = {latest_version() + 1}")
    conn.close()
    with pytest.raises(StorageError, match="newer than this ztc"):
        open_database(tmp_path / "bus.db")


def _corrupt_files(path: Path) -> list[Path]:
    return sorted(p for p in path.parent.iterdir() if ".corrupt-" in p.name and not p.name.endswith(("-wal", "-shm")))


def test_garbage_file_is_moved_aside_and_a_new_epoch_starts(tmp_path):
    path = tmp_path / "bus.db"
    path.write_bytes(b"this is not a database" * 100)
    db = open_database(path)
    aside = _corrupt_files(path)
    assert len(aside) == 1 and aside[0].read_bytes().startswith(b"this is not a database")
    assert db.meta("storage_problem") and aside[0].name in db.meta("storage_problem")
    with db.write() as conn:
        conn.execute("INSERT INTO meta(key, value) VALUES ('x', 'y')")


def test_damaged_pages_are_detected(tmp_path, engine):
    engine.arrive_adhoc("测试点")
    for _ in range(200):
        engine.issue("A")
    old_epoch = engine.db.epoch
    path = engine.db.path
    engine.db.close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    data = bytearray(path.read_bytes())
    page = 4096
    for offset in range(2 * page, len(data) - page, 3 * page):  # scribble over several b-tree pages
        data[offset:offset + 64] = os.urandom(64)
    path.write_bytes(bytes(data))
    db = open_database(path)
    assert db.epoch != old_epoch
    assert len(_corrupt_files(path)) == 1
    assert "corrupt" in db.meta("storage_problem")


def test_full_storage_fails_cleanly_and_loses_nothing(engine):
    engine.arrive_adhoc("测试点")
    engine.issue("A")
    conn = engine.db._conn
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")  # the same SQLITE_FULL a full disk gives
    issued = 1
    with pytest.raises(StorageFull) as info:
        for _ in range(10000):
            engine.issue("A")
            issued += 1
    assert "storage full" in str(info.value) and "存储空间已满" in str(info.value)
    with engine.db.read() as c:
        tickets = c.execute("SELECT COUNT(*) FROM tickets").fetchone()[0]
        assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert tickets == issued == len(events(engine, "ticket.issued"))
    conn.execute("PRAGMA max_page_count = 1073741823")
    assert engine.issue("A").number == f"A{issued + 1:03d}"  # no number skipped or reused


ISSUER = textwrap.dedent("""
    import sys
    from ztc.db import open_database
    from ztc.domain.engine import QueueEngine
    from ztc.settings import load_settings
    s = load_settings(environ={"ZTC_DATA_DIR": sys.argv[1]})
    e = QueueEngine(open_database(s.db_path), s)
    n = int(sys.argv[2])
    print("ready", flush=True)
    sys.stdin.readline()
    i = 0
    while n < 0 or i < n:
        e.issue("A")
        i += 1
        if i % 10 == 0:
            print(i, flush=True)
""")


def _issuer(data_dir: Path, count: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", ISSUER, str(data_dir), str(count)], cwd=REPO,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


def test_two_processes_issuing_at_once_never_share_a_number(tmp_path, settings, engine):
    engine.arrive_adhoc("并发测试点")
    procs = [_issuer(tmp_path, 500), _issuer(tmp_path, 500)]
    for p in procs:
        assert p.stdout.readline().strip() == "ready"
    for p in procs:  # release both at once
        p.stdin.write("go\n")
        p.stdin.flush()
    for p in procs:
        p.communicate(timeout=240)
        assert p.returncode == 0
    with engine.db.read() as conn:
        numbers = [r[0] for r in conn.execute("SELECT number FROM tickets")]
    assert len(numbers) == 1000 and len(set(numbers)) == 1000
    assert set(numbers) == {f"A{n:03d}" for n in range(1, 1001)}
    assert len(events(engine, "ticket.issued")) == 1000


def test_sigkill_while_issuing_leaves_a_consistent_database(tmp_path, engine):
    engine.arrive_adhoc("断电测试点")
    proc = _issuer(tmp_path, -1)
    assert proc.stdout.readline().strip() == "ready"
    proc.stdin.write("go\n")
    proc.stdin.flush()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line and int(line) >= 60:
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    engine.db.close()
    db = open_database(tmp_path / "bus.db")
    assert db.meta("storage_problem") is None
    with db.read() as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        tickets = {r[0] for r in conn.execute("SELECT id FROM tickets")}
        issued = [json.loads(r[0])["ticket_id"] for r in conn.execute(
            "SELECT data FROM outbox WHERE type = 'ticket.issued' ORDER BY seq")]
        seqs = [r[0] for r in conn.execute("SELECT seq FROM outbox ORDER BY seq")]
    assert len(tickets) >= 60
    assert sorted(issued) == sorted(tickets) and len(issued) == len(set(issued))  # one event per committed change
    assert seqs == list(range(1, len(seqs) + 1))


def test_replaced_database_shows_in_device_health(tmp_path, settings):
    from telemetry.health import health_payload
    settings.db_path.parent.mkdir(parents=True, exist_ok=True)
    settings.db_path.write_bytes(b"\x00garbage" * 512)
    db = open_database(settings.db_path)
    payload = health_payload(db, settings, "test", 0.0, devices=lambda: {"ticket_printer": {"state": "ok"}})
    assert payload["devices"]["ticket_printer"] == {"state": "ok"}
    storage = payload["devices"]["storage"]
    assert storage["state"] == "degraded" and "corrupt" in storage["detail"] and "数据库损坏" in storage["detail"]
