"""Headquarters → bus: documents applied only when newer and fully valid, commands answered, and
malformed or hostile messages (fuzzed) changing nothing and crashing nothing — in-process with
hypothesis, and end to end through a real mosquitto into a real agent process."""
from __future__ import annotations

import json
import logging
import random
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from telemetry.agent import Agent, build_link
from tests.telemetry.conftest import BUS, Broker, Observer, Proc, settings_for, wait_for, write_config
from ztc.db import open_database
from ztc.domain.engine import QueueEngine

NOW = time.time()
SCHEDULE = {"version": 3, "visits": [
    {"stop": "nanma-xincun", "name": "南麻街道新村社区", "lat": 36.1942, "lon": 118.1887, "radius_m": 80,
     "arrive": NOW + 3600, "depart": NOW + 7200, "services": ["A", "B"], "theme": None}]}
APPOINTMENTS = {"version": 5, "items": [
    {"id": "ap-1", "code": "123456", "stop": "nanma-xincun", "slot_start": NOW + 3600, "slot_end": NOW + 4200,
     "service": "A", "name_masked": "张*", "phone_last4": "1234", "needs": "轮椅 / wheelchair"}]}


def snapshot(db) -> dict:
    """Everything a downlink message could wrongly change."""
    with db.read() as conn:
        return {t: [tuple(r) for r in conn.execute(f"SELECT * FROM {t} ORDER BY 1")]
                for t in ("documents", "appointments", "outbox", "tickets", "visits")}


@pytest.fixture
def agent(tmp_path: Path):
    config = write_config(tmp_path, 1)  # no broker: the link is never started in-process
    s = settings_for(config)
    db = open_database(s.db_path)
    a = Agent(s, db, build_link(s, "test", "boot"), QueueEngine(db, s))
    replies: list[dict] = []
    a.downlink.reply = lambda r: replies.append(r) or True
    a.replies = replies
    yield a
    db.close()


def deliver(agent: Agent, suffix: str, payload: object) -> None:
    raw = payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False).encode()
    topic = "ztc/v1/fleet/catalog" if suffix == "catalog" else f"ztc/v1/bus/{BUS}/{suffix}"
    agent._on_message(topic, raw, time.time())


def held(agent: Agent, kind: str) -> int | None:
    with agent.db.read() as conn:
        row = conn.execute("SELECT version FROM documents WHERE kind = ?", (kind,)).fetchone()
    return row[0] if row else None


def test_documents_newer_and_valid_only(agent: Agent) -> None:
    deliver(agent, "schedule", SCHEDULE)
    assert held(agent, "schedule") == 3
    assert [v.stop for v in agent.engine.planned()] == ["nanma-xincun"]
    deliver(agent, "schedule", {**SCHEDULE, "version": 2, "visits": []})  # older: ignored
    assert held(agent, "schedule") == 3
    bad = {"version": 4, "visits": [{**SCHEDULE["visits"][0], "services": ["Z"]}]}  # unknown service
    deliver(agent, "schedule", bad)
    assert held(agent, "schedule") == 3
    health = agent.health_now()
    assert "schedule" in " ".join(health["problems"])
    assert "version 4 refused" in health["document_problems"]["schedule"]
    deliver(agent, "schedule", {**SCHEDULE, "version": 5})
    assert held(agent, "schedule") == 5
    assert "document_problems" not in agent.health_now()
    assert agent.health_now()["documents"]["schedule"] == 5


def test_appointments_applied_through_the_engine_and_privacy_enforced(agent: Agent) -> None:
    deliver(agent, "appointments", APPOINTMENTS)
    with agent.db.read() as conn:
        rows = conn.execute("SELECT id, code, name_masked, phone_last4 FROM appointments").fetchall()
    assert [tuple(r) for r in rows] == [("ap-1", "123456", "张*", "1234")]
    leaky = {"version": 6, "items": [{**APPOINTMENTS["items"][0], "name_masked": "张三丰"}]}
    phone = {"version": 7, "items": [{**APPOINTMENTS["items"][0], "needs": "call 13912345678"}]}
    before = snapshot(agent.db)
    deliver(agent, "appointments", leaky)
    deliver(agent, "appointments", phone)
    assert snapshot(agent.db) == before
    assert held(agent, "appointments") == 5


def test_catalog_document(agent: Agent) -> None:
    services = [{"code": "A", "name_zh": "社保", "name_en": "Social security",
                 "items": [{"code": "A01", "name_zh": "参保登记", "name_en": "Enrolment", "minutes": 5}]}]
    deliver(agent, "catalog", {"version": 2, "services": services})
    assert held(agent, "catalog") == 2
    deliver(agent, "catalog", {"version": 3, "services": services * 2})  # duplicate codes
    assert held(agent, "catalog") == 2


def test_commands_answered(agent: Agent) -> None:
    deliver(agent, "cmd", {"id": "c1", "cmd": "ping"})
    deliver(agent, "cmd", {"id": "c1", "cmd": "ping"})  # QoS 1 duplicate: acts once
    deliver(agent, "cmd", {"id": "c2", "cmd": "announce", "text_zh": "车辆 14:00 出发", "text_en": "Leaving 14:00"})
    deliver(agent, "cmd", {"id": "c3", "cmd": "reboot"})
    deliver(agent, "cmd", {"cmd": "ping"})  # no id: nobody to answer
    assert [(r["id"], r["ok"]) for r in agent.replies] == [("c1", True), ("c2", True), ("c3", False)]
    assert "未知命令" in agent.replies[2]["detail"] and "unknown command" in agent.replies[2]["detail"]
    assert json.loads(agent.db.meta("announcement"))["text_zh"] == "车辆 14:00 出发"


@pytest.mark.parametrize("version", [10**30, 2**63 - 1, 2**31, 0, -1, True, "6", 6.0, None, [6]])
def test_implausible_document_versions_are_refused_and_real_ones_still_apply(agent: Agent, caplog,
                                                                              version: object) -> None:
    """10**30 overflowed SQLite (an unhandled error in the agent); 2**63-1 was held, after which
    every real document was "stale" for ever; true and "6" were taken as versions."""
    deliver(agent, "schedule", SCHEDULE)
    before = snapshot(agent.db)
    with caplog.at_level(logging.WARNING, logger="telemetry.downlink"):
        deliver(agent, "schedule", {**SCHEDULE, "version": version})
    assert snapshot(agent.db) == before
    refused = [r for r in caplog.records if r.name == "telemetry.downlink" and r.levelno == logging.WARNING]
    assert len(refused) == 1 and "version" in refused[0].getMessage() and "refused" in refused[0].getMessage()
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"
    assert "schedule" in agent.health_now()["document_problems"]
    deliver(agent, "schedule", {**SCHEDULE, "version": 4})  # the next real document still applies
    assert held(agent, "schedule") == 4
    assert "document_problems" not in agent.health_now()


def test_a_version_far_past_the_held_one_is_refused(agent: Agent) -> None:
    from telemetry.downlink import MAX_VERSION_STEP
    deliver(agent, "schedule", SCHEDULE)
    deliver(agent, "schedule", {**SCHEDULE, "version": 3 + MAX_VERSION_STEP + 1})
    assert held(agent, "schedule") == 3
    deliver(agent, "schedule", {**SCHEDULE, "version": 3 + MAX_VERSION_STEP})
    assert held(agent, "schedule") == 3 + MAX_VERSION_STEP


def test_ack_for_another_epoch_or_unsent_seq_forgets_nothing(agent: Agent) -> None:
    agent.engine.arrive_adhoc("测试点")
    before = snapshot(agent.db)
    deliver(agent, "ack", {"epoch": "not-ours", "upto": 10**9})
    deliver(agent, "ack", {"epoch": agent.db.epoch, "upto": 10**9})  # nothing was published yet
    deliver(agent, "ack", {"epoch": agent.db.epoch, "upto": -1})
    assert snapshot(agent.db) == before


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=6),
    max_leaves=30)


def mutate(doc: dict, rnd: random.Random) -> dict:
    """A valid document with one field (never the version) broken, dropped or replaced — closer to
    real bugs than noise. The version stays the held one, so nothing may change whatever it says."""
    out = json.loads(json.dumps(doc))
    target = out
    path = []
    while isinstance(target, dict | list) and target and rnd.random() < 0.7:
        keys = [k for k in target if k != "version"] if isinstance(target, dict) else range(len(target))
        if not keys:
            break
        key = rnd.choice(list(keys))
        path.append((target, key))
        if not isinstance(target[key], dict | list):
            break
        target = target[key]
    if path:
        parent, key = path[-1]
        choice = rnd.random()
        if choice < 0.3 and isinstance(parent, dict):
            del parent[key]
        else:
            parent[key] = rnd.choice([None, "", -1, 10**20, "x" * 300, [], {}, True, "13912345678"])
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(suffix=st.sampled_from(["ack", "schedule", "appointments", "cmd", "catalog", "events", "nonsense"]),
       payload=st.one_of(json_values.map(lambda v: json.dumps(v).encode()), st.binary(max_size=200),
                         st.integers(0, 10**6).map(lambda seed: json.dumps(
                             mutate(random.Random(seed).choice([SCHEDULE, APPOINTMENTS]),
                                    random.Random(seed))).encode())))
def test_fuzzed_downlink_changes_nothing(agent: Agent, suffix: str, payload: bytes) -> None:
    if not hasattr(agent, "_fuzz_base"):
        deliver(agent, "schedule", SCHEDULE)
        deliver(agent, "appointments", APPOINTMENTS)
        agent._fuzz_base = snapshot(agent.db)
    deliver(agent, suffix, payload)
    assert snapshot(agent.db) == agent._fuzz_base


def test_hostile_downlink_through_the_broker(tmp_path: Path, broker: Broker, observer: Observer,
                                             procs: list[Proc]) -> None:
    config = write_config(tmp_path, broker.port)
    s = settings_for(config)
    db = open_database(s.db_path)
    QueueEngine(db, s).arrive_adhoc("测试点")
    agent = Proc(config, ["agent", "--no-gps"], tmp_path / "agent.log").start()
    procs.append(agent)
    wait_for(lambda: (x := observer.last(f"ztc/v1/bus/{BUS}/status")) and x["online"], 30, "agent online")
    observer.publish(f"ztc/v1/bus/{BUS}/schedule", json.dumps(SCHEDULE), retain=True)
    observer.publish(f"ztc/v1/bus/{BUS}/appointments", json.dumps(APPOINTMENTS), retain=True)
    wait_for(lambda: held_version(db, "appointments") == 5 and held_version(db, "schedule") == 3, 30,
             "documents applied")
    before = snapshot(db)
    rnd = random.Random(5)
    suffixes = ["ack", "schedule", "appointments", "cmd"]
    for n in range(300):
        suffix = rnd.choice(suffixes)
        kind = rnd.random()
        if kind < 0.3:
            payload = bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 300)))
        elif kind < 0.5:
            payload = b"[" * 50000 + b"]" * 50000  # deep nesting
        elif kind < 0.6:
            payload = json.dumps({"epoch": "x", "upto": 10**12, "version": 10**9}).encode()
        elif kind < 0.7:  # otherwise valid documents with absurd versions (issue 16 item 9)
            doc = rnd.choice([SCHEDULE, APPOINTMENTS])
            payload = json.dumps({**doc, "version": rnd.choice([10**30, 2**63 - 1, True, "9"])}).encode()
        else:
            payload = json.dumps(mutate(rnd.choice([SCHEDULE, APPOINTMENTS, {"id": "c", "cmd": "ping"}]), rnd)).encode()
        topic = "ztc/v1/fleet/catalog" if n % 17 == 0 else f"ztc/v1/bus/{BUS}/{suffix}"
        observer.client.publish(topic, payload, qos=1)
    observer.publish(f"ztc/v1/bus/{BUS}/cmd", json.dumps({"id": "after-fuzz", "cmd": "ping"}))
    reply = wait_for(lambda: next((r for r in observer.all(f"ztc/v1/bus/{BUS}/cmd/reply")
                                   if r["id"] == "after-fuzz"), None), 60, f"the ping reply: {agent.log()}")
    assert reply["ok"] is True
    assert agent.alive
    after = snapshot(db)
    assert after == before
    db.close()


def held_version(db, kind: str) -> int | None:
    with db.read() as conn:
        row = conn.execute("SELECT version FROM documents WHERE kind = ?", (kind,)).fetchone()
    return row[0] if row else None


def test_catalog_on_the_bus_topic_and_the_fleet_topic_share_one_version_sequence(agent: Agent) -> None:
    """A list tried on this bus first (its own topic) is taken when newer than the fleet's; the next
    fleet version overtakes it; an older one on either topic is ignored (hq.catalog_editor)."""
    from ztc.settings import load_settings

    services = [c.model_dump(mode="json") for c in load_settings(environ={}).services]
    pilot = json.loads(json.dumps(services))
    pilot[4]["items"].append({"code": "E04", "name_zh": "残疾人证办理", "name_en": "Disability certificate",
                              "minutes": 15, "materials": ["身份证原件"], "note_zh": "本人到场"})
    agent._on_message("ztc/v1/fleet/catalog", json.dumps({"version": 1, "services": services}).encode(), time.time())
    agent._on_message(f"ztc/v1/bus/{BUS}/catalog", json.dumps({"version": 2, "services": pilot}).encode(), time.time())
    assert held(agent, "catalog") == 2
    agent._on_message("ztc/v1/bus/other-bus/catalog", json.dumps({"version": 9, "services": services}).encode(),
                      time.time())
    assert held(agent, "catalog") == 2  # another bus's list is not ours
    agent._on_message("ztc/v1/fleet/catalog", json.dumps({"version": 1, "services": services}).encode(), time.time())
    assert held(agent, "catalog") == 2  # the retained fleet v1 on reconnect does not undo the pilot
    agent._on_message("ztc/v1/fleet/catalog", json.dumps({"version": 3, "services": services}).encode(), time.time())
    assert held(agent, "catalog") == 3
