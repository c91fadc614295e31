"""Headquarters: idempotent event storage, the contiguous ack watermark (across seqs dropped on the
bus), invalid uplink messages counted and survived, and the HTTP API."""
from __future__ import annotations

import json
import uuid
from pathlib import Path

import httpx
import yaml

from contract import protocol
from hq.storage import HqStore
from tests.hq import conftest as hq_harness
from tests.telemetry.conftest import BUS, Broker, Observer, Proc, api_up, free_port, hq_events, wait_for, write_config

# Headquarters on each backend (SQLite and the private PostgreSQL cluster): the HQ suite's fixtures.
pg_cluster = hq_harness.pg_cluster
hq_url = hq_harness.hq_url


def batch(seqs: list[int], epoch: str = "e1", frm: int | None = None, ids: dict[int, str] | None = None):
    ids = ids if ids is not None else {}
    events = [{"seq": s, "id": ids.setdefault(s, str(uuid.uuid4())), "type": "ticket.issued", "ts": 1.0 + s,
               "data": {"n": s}} for s in seqs]
    payload = {"epoch": epoch, "events": events} | ({"from": frm} if frm is not None else {})
    return protocol.validate(protocol.EventBatch, payload)


def test_store_is_idempotent_and_acks_only_contiguous(hq_url: str) -> None:
    store = HqStore.open(hq_url)
    ids: dict[int, str] = {}
    assert store.store_events(BUS, batch([1, 2, 3], ids=ids), 0) == (3, 3)
    assert store.store_events(BUS, batch([6, 7], ids=ids), 0) == (2, 3)      # 4, 5 missing: ack stays at 3
    assert store.store_events(BUS, batch([1, 2, 3], ids=ids), 0) == (0, 3)   # a resend: nothing new
    assert store.store_events(BUS, batch([4, 5], ids=ids), 0) == (2, 7)      # the gap filled: ack jumps to 7
    assert [e["seq"] for e in store.events(BUS)] == [1, 2, 3, 4, 5, 6, 7]
    # A batch declaring from=8 with first event 11: seqs 8-10 were dropped on the bus.
    assert store.store_events(BUS, batch([11, 12], frm=8, ids=ids), 0) == (2, 12)
    # Another epoch (the bus's storage was replaced) starts over, and both are kept.
    assert store.store_events(BUS, batch([1], epoch="e2"), 0) == (1, 1)
    assert len(store.events(BUS)) == 10
    assert store.counters()["events.duplicate"] == 3
    store.close()


def test_track_events_become_positions(hq_url: str) -> None:
    store = HqStore.open(hq_url)
    pos = {"ts": 100.0, "lat": 36.19, "lon": 118.18, "speed": 3.0, "track": 90, "mode": 3, "stop": None}
    b = protocol.validate(protocol.EventBatch, {"epoch": "e", "events": [
        {"seq": 1, "id": "t1", "type": "track", "ts": 100,
         "data": {"positions": [pos, {**pos, "ts": 130.0}, {**pos, "lat": 0, "lon": 0, "ts": 160.0}]}}]})
    store.store_events(BUS, b, 0)
    store.store_events(BUS, b, 0)  # a resend adds nothing
    rows = store.positions(BUS, 0, 1000)
    assert [(r["ts"], r["source"]) for r in rows] == [(100.0, "track"), (130.0, "track")]  # (0,0) refused
    assert store.counters()["invalid.track_position"] == 1
    store.close()


def test_ingest_counts_invalid_messages_and_keeps_going(tmp_path: Path, broker: Broker, observer: Observer,
                                                        procs: list[Proc], hq_url: str) -> None:
    http = free_port()
    config = write_config(tmp_path, broker.port, http)
    cfg = yaml.safe_load(config.read_text())
    cfg["hq"]["database_url"] = hq_url
    config.write_text(yaml.safe_dump(cfg, allow_unicode=True))
    hq = Proc(config, ["hq"], tmp_path / "hq.log").start()
    procs.append(hq)
    wait_for(lambda: api_up(http), 30, "the HQ API")
    base = f"ztc/v1/bus/{BUS}"
    wait_for(lambda: _subscribed(observer, base, http), 30, "the ingest to subscribe")
    garbage = [(f"{base}/events", b"\xff\xfe"), (f"{base}/events", b'{"epoch": "e"}'),
               (f"{base}/events", json.dumps({"epoch": "e", "events": [{"seq": 2, "id": "a", "type": "x", "ts": 1,
                                                                        "data": {}}, {"seq": 1, "id": "b",
                                                                        "type": "x", "ts": 1, "data": {}}]})),
               (f"{base}/status", b"[]"), (f"{base}/position", b'{"ts": 1, "lat": 0, "lon": 0}'),
               (f"{base}/queue", b"null"), (f"{base}/health", b"{" * 10000),
               ("ztc/v1/bus/NOT_A_BUS/status", b"{}")]
    for topic, payload in garbage:
        observer.publish(topic, payload)
    good = {"epoch": "e", "events": [{"seq": 1, "id": "good-1", "type": "rating", "ts": 1, "data": {"level": 5}}]}
    observer.publish(f"{base}/events", json.dumps(good))
    wait_for(lambda: hq_events(http), 30, "the valid batch stored after the garbage")
    counters = httpx.get(f"http://127.0.0.1:{http}/api/v1/ingest").json()
    assert counters.get("invalid.events") == 3
    assert counters.get("invalid.status", 0) + counters.get("invalid.topic", 0) >= 1
    assert counters.get("invalid.position") == 1 and counters.get("invalid.queue") == 1
    assert counters.get("invalid.health") == 1
    ack = wait_for(lambda: observer.last(f"{base}/ack"), 30, "the ack")
    assert ack == {"epoch": "e", "upto": 1}
    assert hq.alive


def _subscribed(observer: Observer, base: str, http: int) -> bool:
    """Probe: a status message shows up in /api/v1/buses once the ingest is subscribed."""
    observer.publish(f"{base}/status", json.dumps({"online": True, "ts": 1, "sw": "probe", "boot": "b"}))
    buses = httpx.get(f"http://127.0.0.1:{http}/api/v1/buses").json()
    return any(b["id"] == BUS for b in buses)
