"""``ztc hq backup`` / ``ztc hq restore`` on both backends: a database with rows in every table is
backed up while open, restored into an empty server (PostgreSQL: a new database; SQLite: a new
file), and every table compared row by row; a restore over data is refused."""
from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from contract import protocol
from hq import quarantine
from hq.audit import AuditLog
from hq.auth import Accounts
from hq.context import HqContext
from hq.documents import Documents
from hq.storage import HqStore
from tests.hq.conftest import REPO, shipped_catalog
from tests.pgcluster import PrivateCluster
from ztc.settings import HqSettings

DAY = 86400.0


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """Makes empty databases of one backend (PostgreSQL: whole databases, what pg_dump works on)."""
    if request.param == "sqlite":
        yield lambda: f"sqlite:///{tmp_path / uuid.uuid4().hex / 'hq.db'}"
    else:
        cluster: PrivateCluster = request.getfixturevalue("pg_cluster")
        yield cluster.fresh_database_url


def fill(store: HqStore, now: float) -> None:
    """A row in every table, positions over several months (several partitions on PostgreSQL)."""
    for k in range(5):
        store.record_latest("b1", "position", {"ts": now - k * 35 * DAY, "lat": 36.1 + k / 100, "lon": 118.1,
                                               "speed": 2.0, "track": 5.0, "mode": 3, "stop": None}, now)
    store.record_latest("b1", "queue", {"ts": now, "stop": "s1", "waiting": 3, "by_service": {"A": 3}}, now)
    store.record_status("b1", protocol.validate(protocol.Status, {"online": True, "ts": now, "sw": "t", "boot": "x"}),
                        now)
    events = [{"seq": 1, "id": "e1", "type": "rating", "ts": now, "data": {"level": 1, "reasons": ["slow"]}},
              {"seq": 2, "id": "e2", "type": "ticket.issued", "ts": now, "data": {"ticket_id": "t1", "note": "中文"}},
              {"seq": 5, "id": "e5", "type": "ticket.issued", "ts": now, "data": {}}]  # a gap: a coverage row
    store.store_events("b1", protocol.validate(protocol.EventBatch, {"epoch": "ep", "events": events}), now)
    store.record_reply("b1", protocol.validate(protocol.CmdReply, {"id": "c1", "ok": True, "detail": "done"}), now)
    accounts = Accounts(store, failures_allowed=3)
    accounts.add_user("chief", "admin", "correct horse 1", now)
    accounts.login("chief", "correct horse 1", now)
    with pytest.raises(Exception):  # noqa: B017 (a failed log-in leaves a login_throttle row)
        accounts.login("chief", "wrong password", now)
    HqContext.build(store, HqSettings()).cases.sync(now)
    docs = Documents(store)
    docs.publish_document("catalog", "", shipped_catalog(), "chief", now)
    docs.command("b1", {"cmd": "announce", "text_zh": "测试"}, "chief", now)
    store.count("events.custom", 3)
    quarantine.hold_message(store, "b1", "ztc/v1/bus/b1/queue", b"\xff not JSON", "not JSON", now)
    AuditLog(store).record_alone(at=now, actor="chief", client="10.0.0.5", kind="login", target="user:chief")


def tables(store: HqStore) -> list[str]:
    if store.dialect == "postgresql":
        rows = store.query("SELECT tablename FROM pg_tables WHERE schemaname = ANY(current_schemas(false)) "
                           "ORDER BY tablename")
    else:
        rows = store.query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    return [r[0] for r in rows]


def contents(store: HqStore) -> dict[str, list[tuple[Any, ...]]]:
    out = {}
    for table in tables(store):
        rows = [tuple(r) for r in store.query(f"SELECT * FROM {table}")]
        out[table] = sorted(rows, key=repr)
    return out


def ztc(cfg: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ztc_cli", "--config", str(cfg), "hq", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=120)


def config(tmp: Path, url: str) -> Path:
    cfg = tmp / f"{uuid.uuid4().hex}.yaml"
    cfg.write_text(yaml.safe_dump({"data_dir": str(tmp / "data"), "hq": {"database_url": url}}))
    return cfg


def test_backup_restored_into_an_empty_server_has_every_table_equal(tmp_path: Path, empty_url: Any) -> None:
    source_url, target_url = empty_url(), empty_url()
    store = HqStore.open(source_url)
    fill(store, time.time())
    before = contents(store)
    assert all(before[t] for t in ("buses", "positions", "events", "epochs", "coverage", "counters", "replies",
                                   "users", "sessions", "login_throttle", "rating_cases", "case_steps", "documents",
                                   "commands", "quarantine", "audit_log"))
    if store.dialect == "postgresql":
        assert len([t for t in before if t.startswith("positions_2")]) >= 3  # monthly partitions
    backup = tmp_path / "hq.backup"
    r = ztc(config(tmp_path, source_url), "backup", str(backup))  # while the store is open
    assert r.returncode == 0, r.stderr
    assert backup.stat().st_size > 0
    store.close()

    r = ztc(config(tmp_path, target_url), "restore", str(backup))
    assert r.returncode == 0, r.stderr + r.stdout
    restored = HqStore.open(target_url)
    assert contents(restored) == before
    assert restored.ack_upto("b1", "ep") == 2 and restored.counters()["events.custom"] == 3
    # Restoring again, over data, is refused and changes nothing.
    r = ztc(config(tmp_path, target_url), "restore", str(backup))
    assert r.returncode == 3 and "not empty" in r.stderr
    assert contents(restored) == before
    restored.close()


def test_restore_of_a_missing_or_foreign_file_says_so(tmp_path: Path, empty_url: Any) -> None:
    cfg = config(tmp_path, empty_url())
    r = ztc(cfg, "restore", str(tmp_path / "nothing.backup"))
    assert r.returncode == 3 and "no backup file" in r.stderr
    junk = tmp_path / "junk.dat"
    junk.write_bytes(b"this is not a backup" * 100)
    r = ztc(cfg, "restore", str(junk))
    assert r.returncode == 3 and "restore of" in r.stderr
