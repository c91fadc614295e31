"""Position retention (``hq.position_retention_days``) by ``ztc hq housekeeping``: on PostgreSQL
monthly partitions are created ahead and whole old ones dropped; on SQLite old rows are deleted and
the file's pages given back by incremental vacuum. Events are kept on both."""
from __future__ import annotations

import datetime as dt
import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from contract import protocol
from hq import retention
from hq.storage import HqStore
from tests.hq.conftest import REPO
from tests.pgcluster import PrivateCluster

BEIJING = ZoneInfo("Asia/Shanghai")
DAY = 86400.0


def at(y: int, m: int, d: int, h: int = 12) -> float:
    return dt.datetime(y, m, d, h, tzinfo=BEIJING).timestamp()


def position(store: HqStore, ts: float, bus: str = "b1") -> None:
    store.record_latest(bus, "position", {"ts": ts, "lat": 36.1, "lon": 118.1, "speed": 1.0, "track": 0.0,
                                          "mode": 3, "stop": None}, ts)


def an_event(store: HqStore, ts: float) -> None:
    batch = {"epoch": "ep", "events": [{"seq": 1, "id": "old", "type": "ticket.issued", "ts": ts, "data": {}}]}
    store.store_events("b1", protocol.validate(protocol.EventBatch, batch), ts)


def test_postgresql_creates_monthly_partitions_ahead_and_drops_old_ones(pg_cluster: PrivateCluster) -> None:
    """A timeline in 2020 (the store also made the months around today's date when it opened)."""
    store = HqStore.open(pg_cluster.fresh_url())
    created = retention.ensure_partitions(store, at(2020, 1, 10))
    assert created == ["positions_201912", "positions_202001", "positions_202002", "positions_202003"]
    position(store, at(2020, 1, 10))
    position(store, at(2020, 12, 5))  # a bus clock far ahead: caught by the default partition
    an_event(store, at(2020, 1, 10))
    assert store.query("SELECT COUNT(*) FROM positions_default")[0][0] == 1
    # The months go by; housekeeping on 15 June keeps 90 days: partitions ending before 17 March go.
    result = retention.run(store, 90, at(2020, 6, 15))
    assert result["partitions_created"] == ["positions_202005", "positions_202006", "positions_202007",
                                            "positions_202008"]
    assert result["partitions_dropped"] == ["positions_201912", "positions_202001", "positions_202002"]
    assert sorted(p for p in retention.partitions(store) if p < "positions_2021") == [
        "positions_202003", "positions_202005", "positions_202006", "positions_202007", "positions_202008"]
    assert [p["ts"] for p in store.positions("b1", 0, 2e9)] == [at(2020, 12, 5)]  # January's went with its month
    assert [e["id"] for e in store.events()] == ["old"]  # events are kept
    # Partition bounds follow Beijing's months, not UTC's.
    assert retention.partitions(store)["positions_202006"] == (at(2020, 6, 1, 0), at(2020, 7, 1, 0))
    # Months later the far-ahead position gets its own month's partition, moved out of the default.
    retention.run(store, 90, at(2020, 11, 20))
    assert store.query("SELECT COUNT(*) FROM positions_default")[0][0] == 0
    assert store.query("SELECT COUNT(*) FROM positions_202012")[0][0] == 1
    store.close()


def test_sqlite_deletes_old_positions_and_gives_the_pages_back(tmp_path: Path) -> None:
    path = tmp_path / "hq.db"
    url = f"sqlite:///{path}"
    # A file made before retention existed: no incremental auto-vacuum yet.
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA auto_vacuum = NONE")
    conn.execute("VACUUM")
    conn.close()
    store = HqStore.open(url)
    old, recent = at(2025, 1, 1), at(2026, 6, 1)
    store.record_latest_many([("b1", "position", {"ts": old + k, "lat": 36.1, "lon": 118.1, "speed": 1.0,
                                                  "track": 0.0, "mode": 3, "stop": "a much longer stop name " * 3},
                               old) for k in range(20000)])
    position(store, recent)
    an_event(store, old)
    pages = store.query("PRAGMA page_count")[0][0]
    result = retention.run(store, 90, at(2026, 6, 15))
    assert result["positions_deleted"] == 20000
    assert [p["ts"] for p in store.positions("b1", 0, 2e9)] == [recent]
    assert [e["id"] for e in store.events()] == ["old"]
    assert store.query("PRAGMA auto_vacuum")[0][0] == 2  # switched to incremental once
    assert store.query("PRAGMA page_count")[0][0] < pages / 2  # the pages went back to the disk
    store.close()


def test_housekeeping_command_reports_what_it_did(tmp_path: Path, hq_url: str) -> None:
    store = HqStore.open(hq_url)
    position(store, 1e9)  # 2001: long past any retention
    store.close()
    cfg = tmp_path / "hq.yaml"
    cfg.write_text(yaml.safe_dump({"data_dir": str(tmp_path), "hq": {"database_url": hq_url,
                                                                      "position_retention_days": 30}}))
    r = subprocess.run([sys.executable, "-m", "ztc_cli", "--config", str(cfg), "hq", "housekeeping", "--json"],
                       cwd=REPO, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["ok"] and out["positions_deleted"] == 1
    store = HqStore.open(hq_url)
    assert store.positions("b1", 0, 2e9) == []
    store.close()
