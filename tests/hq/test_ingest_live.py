"""The ingest's live side in-process: latest-state messages stored together and pushed only after
the commit, in order with event batches; the hub drops a browser that cannot keep up."""
from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

import hq.live
from hq.ingest import Ingest
from hq.live import LiveHub
from hq.storage import HqStore
from ztc.mqtt_link import Inbound


def msg(bus: str, suffix: str, payload: dict[str, Any] | bytes) -> Inbound:
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return Inbound("message", f"ztc/v1/bus/{bus}/{suffix}", raw)


def pos(ts: float) -> dict[str, Any]:
    return {"ts": ts, "lat": 36.19, "lon": 118.18, "speed": 3.0, "track": 10.0, "mode": 3, "stop": None}


def test_positions_are_pushed_after_they_are_stored_and_in_order(hq_url: str) -> None:
    store = HqStore.open(hq_url)
    seen: list[tuple[str, int]] = []  # (update type, positions stored when it was pushed)

    def on_stored(update: dict[str, Any]) -> None:
        seen.append((update["type"], len(store.positions("b1", 0, 1e10))))

    ingest = Ingest(store, link=None, on_stored=on_stored)  # type: ignore[arg-type]  # acks are not flushed here
    for ts in (100.0, 101.0, 102.0):
        ingest.handle(msg("b1", "position", pos(ts)))
    assert seen == [] and store.positions("b1", 0, 1e10) == []  # collected, not yet stored
    ingest.handle(msg("b1", "position", b"garbage"))  # refused and counted, the batch is unharmed
    batch = {"epoch": "e", "events": [{"seq": 1, "id": "x1", "type": "ticket.issued", "ts": 103, "data": {}}]}
    ingest.handle(msg("b1", "events", batch))  # an event batch first stores what came before it
    assert seen == [("position", 3), ("position", 3), ("position", 3), ("events", 3)]
    ingest.handle(msg("b1", "position", pos(104.0)))
    ingest.flush_latest()
    assert seen[-1] == ("position", 4)
    assert store.counters()["invalid.position"] == 1
    store.close()


def test_a_browser_that_cannot_keep_up_is_dropped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hq.live, "CLIENT_QUEUE", 3)

    async def scenario() -> tuple[list[Any], list[Any], int]:
        hub = LiveHub()
        hub.attach(asyncio.get_running_loop())
        slow, fast = hub.subscribe(), hub.subscribe()
        got_fast: list[Any] = []
        for n in range(5):
            hub.publish({"n": n})
            await asyncio.sleep(0)  # the fast page reads each update as it comes
            got_fast.append(fast.get_nowait())
        got_slow = []
        while not slow.empty():
            got_slow.append(slow.get_nowait())
        return got_slow, got_fast, hub.clients

    slow, fast, clients = asyncio.run(scenario())
    assert slow == [None]  # the end marker: the page reconnects to a fresh snapshot
    assert [u["n"] for u in fast] == [0, 1, 2, 3, 4] and clients == 1


def test_a_position_with_unknown_heading_is_stored_as_unknown_and_gtfs_gives_no_bearing(hq_url: str) -> None:
    """``"track": null`` (the receiver gave no course) is a valid position: stored and shown with no
    heading, and GTFS-realtime leaves the bearing out instead of claiming due north."""
    import time

    from hq.gtfs import as_json, vehicle_positions

    store = HqStore.open(hq_url)
    ingest = Ingest(store, link=None)  # type: ignore[arg-type]
    now = time.time()
    ingest.handle(msg("b1", "position", pos(now) | {"track": None, "speed": 0.0}))
    ingest.flush_latest()
    assert store.counters().get("invalid.position", 0) == 0
    [row] = store.positions("b1", 0, 1e11)
    assert row["track"] is None
    [bus] = [b for b in store.buses() if b["id"] == "b1"]
    assert bus["position"]["track"] is None
    [entity] = as_json(vehicle_positions(store, now))["entity"]
    assert "bearing" not in entity["vehicle"]["position"] and entity["vehicle"]["position"]["latitude"]
    store.close()


def test_a_latest_state_burst_that_fails_at_one_row_stores_none_of_it_and_the_store_goes_on(hq_url: str) -> None:
    """A burst is one transaction (on PostgreSQL one pipeline, BEGIN to COMMIT): a row the database
    refuses rolls back the whole burst, and the next burst is stored as usual."""
    import sqlite3

    import psycopg

    store = HqStore.open(hq_url)
    try:
        now = 1796000000.0
        with pytest.raises((sqlite3.IntegrityError, psycopg.errors.NotNullViolation)):
            store.record_latest_many([("b1", "position", pos(now), now),
                                      ("b2", "position", pos(now) | {"lat": None}, now)])
        assert store.buses() == [] and store.positions("b1", 0, 1e11) == []
        store.record_latest_many([("b1", "position", pos(now + 1), now + 1), ("b3", "queue", {"ts": now}, now)])
        assert [(b["id"], (b["position"] or {}).get("ts")) for b in store.buses()] == [("b1", now + 1), ("b3", None)]
        assert [p["ts"] for p in store.positions("b1", 0, 1e11)] == [now + 1]
    finally:
        store.close()


class _Link:
    """The ingest's side of ``MqttLink`` in memory: an inbox it takes from, a list of what it publishes."""

    def __init__(self) -> None:
        import queue
        self.inbox: queue.Queue[Inbound] = queue.Queue()
        self.published: list[tuple[str, dict[str, Any]]] = []

    def start(self) -> None:
        pass

    def get(self, timeout_s: float) -> Inbound | None:
        import queue
        try:
            return self.inbox.get(timeout=timeout_s) if timeout_s > 0 else self.inbox.get_nowait()
        except queue.Empty:
            return None

    def publish(self, topic: str, payload: dict[str, Any], qos: int = 0, retain: bool = False) -> bool:
        self.published.append((topic, payload))
        return True


def test_positions_trickling_in_are_committed_together_after_the_linger_and_pushed_after_it(
        hq_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """At 1 Hz from many buses the inbox is empty between most messages: the ingest waits
    ``LINGER_S`` after the first for more, so a trickle is one transaction, not one per message —
    and a lone message is still stored once the linger is over. Pushed only after the commit."""
    import threading
    import time

    import hq.ingest
    monkeypatch.setattr(hq.ingest, "LINGER_S", 0.5)
    store = HqStore.open(hq_url)
    transactions: list[int] = []
    record = store.record_latest_many
    monkeypatch.setattr(store, "record_latest_many", lambda items: (record(items), transactions.append(len(items))))
    pushed: list[tuple[float, int]] = []  # (position ts, positions of its bus stored when it was pushed)
    link = _Link()
    ingest = Ingest(store, link, on_stored=lambda u: pushed.append(  # type: ignore[arg-type]
        (u["data"]["ts"], len(store.positions(u["bus"], 0, 1e11)))))
    stop = threading.Event()
    worker = threading.Thread(target=ingest.run, args=(stop,))
    worker.start()
    try:
        for k in range(10):  # 10 ms apart: the inbox runs empty after each
            link.inbox.put(msg(f"b{k}", "position", pos(100.0 + k)))
            time.sleep(0.01)
        deadline = time.monotonic() + 10
        while len(pushed) < 10 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert transactions == [10]
        assert pushed == [(100.0 + k, 1) for k in range(10)]
        started = time.monotonic()
        link.inbox.put(msg("b0", "position", pos(200.0)))
        while len(pushed) < 11 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert transactions == [10, 1] and pushed[-1] == (200.0, 2)
        assert 0.4 <= time.monotonic() - started < 5  # it waited for the linger, then did not wait for company
    finally:
        stop.set()
        worker.join(5)
        store.close()
