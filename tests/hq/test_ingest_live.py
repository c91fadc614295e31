"""The ingest's live side in-process: latest-state messages stored together and pushed only after
the commit, in order with event batches; the hub drops a browser that cannot keep up."""
from __future__ import annotations

import asyncio
import json
from pathlib import Path
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


def test_positions_are_pushed_after_they_are_stored_and_in_order(tmp_path: Path) -> None:
    store = HqStore.open(f"sqlite:///{tmp_path / 'hq.db'}")
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


def test_a_position_with_unknown_heading_is_stored_as_unknown_and_gtfs_gives_no_bearing(tmp_path: Path) -> None:
    """``"track": null`` (the receiver gave no course) is a valid position: stored and shown with no
    heading, and GTFS-realtime leaves the bearing out instead of claiming due north."""
    import time

    from hq.gtfs import as_json, vehicle_positions

    store = HqStore.open(f"sqlite:///{tmp_path / 'hq.db'}")
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
