"""Through a real mosquitto and the real ``ztc hq``: what a bus publishes comes out as the live
WebSocket update, the bus list, GTFS-rt, the day's figures and track; a published catalog arrives
retained at a subscribed client; broken messages do not stop the live map."""
from __future__ import annotations

import json
import time
import uuid
from datetime import datetime

import paho.mqtt.client as mqtt
from websockets.sync.client import connect

from contract import protocol
from tests.hq.conftest import BEIJING, Server, shipped_catalog, since_midnight
from tests.telemetry.conftest import Broker, Observer, wait_for

BUS = "live-bus"
BASE = f"ztc/v1/bus/{BUS}"


def ws_connect(server: Server, cookie: str):  # type: ignore[no-untyped-def]
    return connect(f"ws://127.0.0.1:{server.http}/ws/live", additional_headers={
        "Cookie": f"ztc_session={cookie}", "Origin": server.url}, open_timeout=10)


def next_of(ws, kind: str, timeout: float = 30) -> dict:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        msg = json.loads(ws.recv(timeout=timeout))
        if msg["type"] == kind:
            return msg
    raise AssertionError(f"no {kind} update")


def test_bus_messages_reach_the_websocket_api_gtfs_and_figures(server: Server, observer: Observer) -> None:
    http, _ = server.login()
    cookie = http.cookies["ztc_session"]
    now = time.time()
    day = datetime.fromtimestamp(now, BEIJING).date().isoformat()  # asked for by date: midnight may pass meanwhile
    gap = min(60.0, since_midnight(now) / 3)  # back-filled positions before ``now``, on its Beijing day
    with ws_connect(server, cookie) as ws:
        assert json.loads(ws.recv(timeout=10))["type"] == "hello"
        status = {"online": True, "ts": now, "sw": "t", "boot": "b1"}
        # The ingest subscribes shortly after start: repeat the first message until it is seen.
        wait_for(lambda: observer.publish(f"{BASE}/status", json.dumps(status))
                 or any(b["id"] == BUS for b in http.get("/api/v1/buses").json()), 30, "the ingest to subscribe")
        observer.publish(f"{BASE}/position", b"{not json")  # garbage first: must not stop anything
        pos = {"ts": now, "lat": 36.19, "lon": 118.18, "speed": 8.0, "track": 135.0, "mode": 3, "stop": None}
        observer.publish(f"{BASE}/position", json.dumps(pos))
        update = next_of(ws, "position")
        assert update["bus"] == BUS and update["data"]["ts"] == now and update["data"]["track"] == 135.0
        queue = {"ts": now, "stop": "nanma", "waiting": 6, "by_service": {"A": 4, "D": 2}, "serving": 1,
                 "windows_open": 2, "issued_today": 10, "served_today": 4, "accepting": True}
        observer.publish(f"{BASE}/queue", json.dumps(queue))
        assert next_of(ws, "queue")["data"]["by_service"] == {"A": 4, "D": 2}
        events = {"epoch": "ep1", "events": [
            {"seq": 1, "id": str(uuid.uuid4()), "type": "ticket.issued", "ts": now,
             "data": {"ticket_id": "tk1", "number": "A001", "service": "A", "stop": "nanma"}},
            {"seq": 2, "id": str(uuid.uuid4()), "type": "ticket.served", "ts": now,
             "data": {"ticket_id": "tk1", "service": "A", "wait_s": 240, "service_s": 600, "crew": "王五"}},
            {"seq": 3, "id": str(uuid.uuid4()), "type": "track", "ts": now - gap,
             "data": {"positions": [{**pos, "ts": now - 2 * gap, "lat": 36.17},
                                    {**pos, "ts": now - gap, "lat": 36.18}]}}]}
        observer.publish(f"{BASE}/events", json.dumps(events))
        assert next_of(ws, "events")["stored"] == 3
    assert wait_for(lambda: observer.last(f"{BASE}/ack"), 30, "the ack") == {"epoch": "ep1", "upto": 3}
    bus = next(b for b in http.get("/api/v1/buses").json() if b["id"] == BUS)
    assert bus["online"] and bus["position"]["lat"] == 36.19 and bus["queue"]["waiting"] == 6
    stats = http.get("/api/v1/stats", params={"bus": BUS, "date": day}).json()
    totals = stats["buses"][0]["totals"]
    assert (totals["tickets"], totals["served"], totals["wait_median_s"]) == (1, 1, 240.0)
    track = http.get(f"/api/v1/buses/{BUS}/track", params={"date": day}).json()
    assert (track["features"][0]["properties"]["live"], track["features"][0]["properties"]["recorded"]) == (1, 2)
    assert [f["properties"]["source"] for f in track["features"][1:]] == ["track", "track", "live"]
    gtfs = http.get("/gtfs-rt/vehicle-positions", params={"format": "json"}).json()
    assert any(e["id"] == BUS and e["vehicle"]["position"]["bearing"] == 135 for e in gtfs["entity"])
    assert http.get("/api/v1/ingest").json().get("invalid.position") == 1
    assert http.get(f"{server.url}/api/public/tickets/tk1").json()["status"] == "served"
    assert server.proc.alive


def test_published_catalog_arrives_retained_at_a_subscribed_client(server: Server, broker: Broker,
                                                                   observer: Observer) -> None:
    http, csrf = server.login()
    r = http.post("/api/v1/documents/catalog", json=shipped_catalog(), headers={"X-CSRF-Token": csrf})
    assert r.status_code == 201
    got = wait_for(lambda: observer.last(protocol.FLEET_CATALOG), 30, "the catalog at the subscriber")
    catalog = protocol.validate(protocol.Catalog, got)
    assert catalog.version == r.json()["version"] == 1 and catalog.services[0].code == "A"
    wait_for(lambda: http.get("/api/v1/documents").json()[0]["sent"], 30, "the catalog marked sent")
    # A bus that connects later gets it too: the document is retained.
    late: list[tuple[str, bool]] = []
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"late-{uuid.uuid4().hex[:6]}")
    client.on_message = lambda c, u, m: late.append((m.topic, bool(m.retain)))
    client.on_connect = lambda c, u, f, rc, p: c.subscribe(protocol.FLEET_ALL, qos=1)
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    try:
        wait_for(lambda: (protocol.FLEET_CATALOG, True) in late, 30, "the retained catalog for a late subscriber")
    finally:
        client.loop_stop()
        client.disconnect()
