"""Property-based fuzzing of every inbound message type at headquarters (issue 16), with a fixed
budget: topics and payloads, structured (near-valid JSON of each topic and event type) and raw
bytes, through the real ingest code — in-process, and through a real mosquitto into the real
``ztc hq`` process. The property: after any input every read endpoint answers 200, nothing already
stored changes, and the ingest (the process) is alive and still stores a valid message."""
from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contract import protocol
from contract.events import EVENT_MODELS, validate_event
from hq.ingest import Ingest
from tests.hq.conftest import Hq, Server
from tests.hq.test_hardening import READS
from tests.telemetry.conftest import Observer, wait_for
from ztc.mqtt_link import Inbound

BUDGET = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# JSON values, including the awkward ones: huge and negative numbers, strings that look like numbers,
# markup, full-width digits, deep nesting.
scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
                    st.floats(allow_nan=False, allow_infinity=False), st.sampled_from(["5", "", "<b>x</b>", "１３８"]),
                    st.text(max_size=40))
nested = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                      max_leaves=20)


def deep(levels: int) -> Any:
    v: Any = 1
    for _ in range(levels):
        v = {"x": v}
    return v


hostile = st.sampled_from([deep(300), "x" * 70_000, list(range(600)), {"k": "<img src=x>" * 100}])
json_values = nested | hostile


FIELDS = ["ticket_id", "number", "service", "window", "level", "reasons", "stop", "name", "wait_s", "service_s",
          "positions", "topics", "late_s", "visit_id", "issued_at", "crew"]
event_data = st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=6), json_values, max_size=6)
event = st.fixed_dictionaries({
    "seq": st.integers(min_value=-3, max_value=2**63) | st.sampled_from(["5", True, 1.5]),
    "id": st.uuids().map(str) | st.text(max_size=70),
    "type": st.sampled_from(sorted(EVENT_MODELS)) | st.text(max_size=12),
    "ts": st.floats(min_value=-10, max_value=2e11) | st.just("now"),
    "data": event_data | json_values,
})
batches = st.fixed_dictionaries({"epoch": st.sampled_from(["fz-1", "fz-2"]) | st.text(max_size=70),
                                 "events": st.lists(event, max_size=6)},
                                optional={"from": st.integers(min_value=-1, max_value=2**63)})
# a valid envelope (increasing seqs, real ids and types, sane times) around hostile data: what a
# broken or hostile bus that speaks the protocol would send, and what only the typed check stops
valid_batches = st.builds(
    lambda epoch, seqs, kinds, datas: {"epoch": epoch, "events": [
        {"seq": q, "id": str(uuid.uuid4()), "type": k, "ts": 1.7e9, "data": d}
        for q, k, d in zip(sorted(seqs), kinds, datas, strict=False)]},
    st.sampled_from(["fz-1", "fz-2"]), st.sets(st.integers(1, 50), min_size=3, max_size=3),
    st.lists(st.sampled_from(sorted(EVENT_MODELS)), min_size=3, max_size=3),
    st.lists(event_data | st.dictionaries(st.sampled_from(FIELDS), hostile, min_size=1, max_size=2),
             min_size=3, max_size=3))
near_valid = {
    "events_valid_plus": valid_batches,
    "status": st.fixed_dictionaries({"online": st.booleans() | json_values, "ts": json_values, "sw": json_values,
                                     "boot": st.text(max_size=10)}),
    "position": st.fixed_dictionaries({"ts": st.floats(0, 2e9), "lat": st.floats(-100, 100),
                                       "lon": st.floats(-200, 200), "speed": json_values, "track": json_values,
                                       "mode": st.sampled_from([2, 3, "3", 1])}),
    "queue": st.dictionaries(st.sampled_from(["ts", "stop", "waiting", "by_service", "serving", "accepting"]),
                             json_values),
    # valid messages carrying a hostile unknown field (stored as sent, so they must be bounded too)
    "queue_valid_plus": st.fixed_dictionaries({"ts": st.just(1.0), "stop": st.none(), "waiting": st.just(1),
                                               "by_service": st.just({}), "serving": st.just(0),
                                               "windows_open": st.just(0), "issued_today": st.just(0),
                                               "served_today": st.just(0), "accepting": st.just(True),
                                               "extra": hostile | nested}),
    "health_valid_plus": st.fixed_dictionaries({"ts": st.just(1.0), "sw": st.just("t"), "devices": st.just({}),
                                                "outbox": st.just({"pending": 0, "oldest_ts": None}),
                                                "disk_free_mb": st.just(1.0), "extra": hostile | nested}),
    "position_valid_plus": st.fixed_dictionaries({"ts": st.just(2.0), "lat": st.just(36.19), "lon": st.just(118.18),
                                                  "speed": st.just(1.0), "track": st.just(9.0), "mode": st.just(3),
                                                  "extra": hostile | nested}),
    "health": st.fixed_dictionaries({"ts": st.floats(0, 2e9), "sw": st.text(max_size=5),
                                     "devices": st.dictionaries(st.text(max_size=8), json_values, max_size=3),
                                     "outbox": json_values, "disk_free_mb": json_values}),
    "events": batches,
    "cmd/reply": st.fixed_dictionaries({"id": json_values, "ok": json_values, "detail": json_values}),
}
buses = st.sampled_from(["fz-bus", "victim", "BAD BUS", "a" * 40, "x/y"])
structured = st.sampled_from(sorted(near_valid)).flatmap(
    lambda kind: st.tuples(st.just(kind.replace("_valid_plus", "")),
                           near_valid[kind].map(lambda p: json.dumps(p).encode())))
raw = st.tuples(st.sampled_from([*protocol.UPLINK_SUFFIXES, "ack", "cmd", "events/x", ""]),
                st.binary(max_size=300) | st.sampled_from([b"", b"{", b"[]", b"null", b"\xff\xfe", b'{"a":NaN}']))
messages = st.lists(st.tuples(buses, structured | raw), min_size=1, max_size=5)


def victim_events(now: float) -> dict[str, Any]:
    return {"epoch": "fz-1", "events": [
        {"seq": 1, "id": "victim-1", "type": "ticket.issued", "ts": now, "data": {"ticket_id": "vt1", "number": "A001",
                                                                                  "service": "A"}},
        {"seq": 2, "id": "victim-2", "type": "rating", "ts": now,
         "data": {"ticket_id": "vt1", "number": "A001", "level": 1, "reasons": ["wait_long"]}}]}


def stored_events(hq: Hq) -> dict[tuple[str, str, int], tuple[str, str, str]]:
    return {(r["bus"], r["epoch"], r["seq"]): (r["id"], r["type"], r["data"])
            for r in hq.store.query("SELECT bus, epoch, seq, id, type, data FROM events")}


def test_any_inbound_message_leaves_reads_working_and_stored_events_unchanged(tmp_path: Path) -> None:
    hq = Hq(tmp_path)
    ingest = Ingest(hq.store, link=None, clock=hq.clock)  # type: ignore[arg-type]  # acks not published here
    now = hq.clock()
    ingest.handle(Inbound("message", "ztc/v1/bus/victim/events", json.dumps(victim_events(now)).encode()))
    c, _ = hq.login()

    @BUDGET
    @given(messages)
    def check(msgs: list[tuple[str, tuple[str, bytes]]]) -> None:
        before = stored_events(hq)
        for bus, (suffix, payload) in msgs:
            ingest.handle(Inbound("message", f"ztc/v1/bus/{bus}/{suffix}", payload))
        ingest.flush_latest()
        after = stored_events(hq)
        assert all(after[k] == v for k, v in before.items()), "a stored event changed"
        for path in READS:
            r = c.get(path)
            assert r.status_code == 200, (path, r.status_code, r.text[:300])
        for r in hq.store.query("SELECT type, data FROM events"):  # only what the contract allows is stored
            validate_event(r["type"], json.loads(r["data"]))

    try:
        check()
        # alive: a valid message after all that is stored as usual
        good = {"epoch": "fz-ok", "events": [{"seq": 1, "id": str(uuid.uuid4()), "type": "rating", "ts": now,
                                              "data": {"level": 4}}]}
        ingest.handle(Inbound("message", "ztc/v1/bus/after/events", json.dumps(good).encode()))
        assert [e["data"] for e in hq.store.events(bus="after")] == [{"level": 4}]
        assert [c["number"] for c in c.get("/api/v1/cases?bus=victim").json()] == ["A001"]
    finally:
        hq.close()


def test_fuzzed_messages_through_the_real_broker_leave_ztc_hq_alive_and_reading(
        server: Server, observer: Observer) -> None:
    http, _ = server.login()
    now = time.time()
    observer.publish("ztc/v1/bus/victim/events", json.dumps(victim_events(now)))
    wait_for(lambda: len(http.get("/api/v1/events?bus=victim").json()) == 2, 30, "the victim's events")
    before = http.get("/api/v1/events?bus=victim").json()
    marks = iter(range(1, 10**6))

    @settings(max_examples=15, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                     HealthCheck.function_scoped_fixture])
    @given(messages)
    def check(msgs: list[tuple[str, tuple[str, bytes]]]) -> None:
        for bus, (suffix, payload) in msgs:
            if "/" in bus or " " in bus or len(bus) > 32:
                continue  # the broker refuses topics a bus account cannot have; covered in-process
            observer.publish(f"ztc/v1/bus/{bus}/{suffix}".rstrip("/"), payload)
        # a sentinel after the fuzz, from the same client: once it is stored, the fuzz was handled
        mark = next(marks)
        observer.publish("ztc/v1/bus/sentinel/status", json.dumps({"online": True, "ts": float(mark), "sw": "s",
                                                                    "boot": f"b{mark}"}))
        wait_for(lambda: any(b["id"] == "sentinel" and b["boot"] == f"b{mark}"
                             for b in http.get("/api/v1/buses").json()), 30, "the sentinel")
        assert server.proc.alive
        for path in READS:
            assert http.get(path).status_code == 200, path
        after = {e["id"]: e for e in http.get("/api/v1/events?bus=victim&limit=1000").json()}
        assert all(after.get(e["id"]) == e for e in before), "a stored event changed"

    check()
