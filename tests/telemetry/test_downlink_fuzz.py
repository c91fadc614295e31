"""Property-based fuzzing of everything headquarters can send a bus (issue 16): every document kind
(catalog, schedule, appointments), every command and acks, structured near-valid messages as well as
raw bytes and arbitrary JSON, in sequences, through the agent's real message handler and downlink.

The property, after every single message:
- the handler returned (nothing raised; no traceback was logged) — the agent is alive;
- a document in force changed only if the message was a valid, newer document of that kind, and
  then it is exactly that document; a valid newer document was applied (not silently dropped);
- an ack forgot exactly the events it may (valid, this epoch, up to what was published), nothing
  else a downlink message could touch changed (tickets, visits, outbox), appointments
  only with an applied appointments document, the announcement only with a valid announce;
- the kiosk-side readers still read: the catalog in force, the planned visits, the queue snapshot
  and an appointment look-up.

Budget: a fixed number of examples (``FUZZ_EXAMPLES``, about a minute on the CI machine), no
deadline per example (the machine is shared); hypothesis' database is off so CI runs the same
amount of work every time.
"""
from __future__ import annotations

import json
import logging
import os
import re
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from contract import protocol
from telemetry.agent import Agent, build_link
from telemetry.downlink import MAX_DOCUMENT_VERSION, MAX_VERSION_STEP
from tests.telemetry.conftest import BUS, settings_for, write_config
from ztc.db import open_database
from ztc.domain import appointments as appointment_rules
from ztc.domain.catalog import effective_catalog
from ztc.domain.context import Ctx
from ztc.domain.engine import QueueEngine
from ztc.domain.errors import QueueError
from ztc.domain.schedule import planned_visits

FUZZ_EXAMPLES = int(os.environ.get("ZTC_FUZZ_EXAMPLES", "200"))
NOW = time.time()

# --- strategies: near-valid messages (closer to real bugs than noise), then noise ------------------

# Mostly small versions, so a sequence meets newer, equal and older ones; sometimes absurd ones.
versions = st.sampled_from([True] * 4 + [False]).flatmap(lambda plain: st.integers(1, 12) if plain else st.sampled_from(
    [0, -1, 10**30, 2**63 - 1, 2**63, 2**31, MAX_DOCUMENT_VERSION, MAX_VERSION_STEP + 50,
     True, False, "7", 7.0, 7.5, None, [7], {"v": 7}]))
letters = st.sampled_from("ABCDEFGHZ")  # the shipped catalog has A..H or fewer; Z is never known
texts = st.one_of(st.text(max_size=12), st.text(max_size=12),
                  st.sampled_from(["", "南麻街道新村社区", "x" * 300, "\u0000", "<b>x</b>"]))
private_texts = st.one_of(texts, st.sampled_from([
    "13812345678", "138 1234 5678", "138-1234-5678", "37032319800101123X", "轮椅 / wheelchair", "张*", "某某",
]))
timestamps = st.one_of(st.floats(NOW - 86400, NOW + 7 * 86400), st.sampled_from([0, -1, 1e11, 1e12, 1e999]))
lats = st.one_of(st.floats(35.5, 36.5), st.sampled_from([0, 91, -91, 1e999]))
lons = st.one_of(st.floats(117.5, 118.5), st.sampled_from([0, 181, -181]))


def _maybe(strategy: st.SearchStrategy, junk: list[Any] | None = None) -> st.SearchStrategy:
    """Usually (15 in 16) a value of ``strategy``, sometimes a value of the wrong kind, so that whole
    documents come out valid often enough to test applying as well as refusing."""
    wrong = st.sampled_from(junk or [None, "", -1, 10**20, [], {}, True])
    return st.sampled_from([True] * 15 + [False]).flatmap(lambda good: strategy if good else wrong)


@st.composite
def catalogs(draw: st.DrawFn) -> dict[str, Any]:
    cats = []
    for code in draw(st.lists(letters, min_size=draw(st.sampled_from([1, 1, 1, 0])), max_size=4,
                              unique=draw(st.sampled_from([False, True, True])))):
        items = [{"code": draw(_maybe(st.sampled_from([f"{code}0{n}" for n in range(1, 4)] * 3 + ["Q01", "A1"]))),
                  "name_zh": draw(_maybe(texts)), "name_en": draw(_maybe(texts)),
                  "minutes": draw(_maybe(st.floats(1, 120), [0, 480, 481, None, "5"]))}
                 for _ in range(draw(st.sampled_from([1, 2, 1, 0])))]
        cats.append({"code": draw(_maybe(st.just(code))), "name_zh": draw(_maybe(texts)),
                     "name_en": draw(_maybe(texts)), "items": items})
    return {"version": draw(versions), "services": cats}


@st.composite
def schedules(draw: st.DrawFn) -> dict[str, Any]:
    visits = []
    for _ in range(draw(st.integers(0, 3))):
        arrive = draw(timestamps)
        visits.append({
            "stop": draw(_maybe(st.sampled_from(["nanma-xincun", "lishan-park", "new-stop", "Bad Stop"]))),
            "name": draw(_maybe(texts)), "lat": draw(lats), "lon": draw(lons),
            "radius_m": draw(_maybe(st.floats(10, 500), [5, 5000, 5001, None, "80"])),
            "arrive": arrive, "depart": draw(st.one_of(st.just(arrive + 3600), timestamps)),
            "services": draw(_maybe(st.lists(letters, min_size=0, max_size=3))),
            "theme": draw(st.one_of(st.none(), texts)),
        })
    return {"version": draw(versions), "visits": visits}


@st.composite
def appointment_docs(draw: st.DrawFn) -> dict[str, Any]:
    items = []
    for n in range(draw(st.integers(0, 3))):
        start = draw(timestamps)
        items.append({
            "id": draw(_maybe(st.sampled_from([f"ap-{n}", "ap-0", "bad id!"]))),
            "code": draw(_maybe(st.sampled_from(["123456", "654321", "12345", "abcdef"]))),
            "stop": draw(st.one_of(st.none(), st.sampled_from(["nanma-xincun", "BAD"]))),
            "slot_start": start, "slot_end": draw(st.one_of(st.just(start + 600), timestamps)),
            "service": draw(_maybe(letters)), "name_masked": draw(_maybe(private_texts)),
            "phone_last4": draw(_maybe(st.sampled_from(["", "1234", "12345", "abcd"]))),
            "needs": draw(_maybe(private_texts)),
        })
    return {"version": draw(versions), "items": items}


OUR_EPOCH = "OUR-EPOCH"  # replaced by the bus database's epoch when the message is delivered, and
# "@UPTO-2@" by a seq near what the agent has published, so acks meet real events


@st.composite
def acks(draw: st.DrawFn) -> dict[str, Any]:
    return {"epoch": draw(_maybe(st.sampled_from([OUR_EPOCH, OUR_EPOCH, "another-epoch"]), ["", None, 5])),
            "upto": draw(st.one_of(st.integers(-4, 2).map(lambda d: f"@UPTO{d:+d}@"), st.sampled_from(
                [0, -1, 2**62, 2**63, 10**30, True, "5", 5.0, 5.5, None])))}


@st.composite
def commands(draw: st.DrawFn) -> dict[str, Any]:
    cmd = {"id": draw(_maybe(st.sampled_from(["c1", "c2", "c3", "x" * 80, "bad id!"]))),
           "cmd": draw(_maybe(st.sampled_from(["ping", "announce", "reboot", "", "x" * 40])))}
    if draw(st.booleans()):
        cmd |= {"text_zh": draw(_maybe(private_texts)), "text_en": draw(_maybe(texts)),
                "until": draw(st.one_of(st.none(), timestamps))}
    return cmd


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=6),
    max_leaves=30)


def _encoded(s: st.SearchStrategy) -> st.SearchStrategy:
    # json.dumps writes 1e999 as Infinity, which the protocol must refuse (it does: no NaN/Infinity)
    return s.map(lambda v: json.dumps(v, ensure_ascii=False).encode())


noise = st.one_of(_encoded(json_values), st.binary(max_size=200),
                  st.sampled_from([b"", b"[" * 50000 + b"]" * 50000, b"\xff\xfe", b'{"version": 1e400}',
                                   b'{"version": 3, "visits": []}' + b" " * protocol.MAX_PAYLOAD_BYTES]))

messages = st.one_of(
    st.tuples(st.just("catalog"), _encoded(catalogs())),
    st.tuples(st.just("schedule"), _encoded(schedules())),
    st.tuples(st.just("appointments"), _encoded(appointment_docs())),
    st.tuples(st.just("cmd"), _encoded(commands())),
    st.tuples(st.just("ack"), _encoded(acks())),
    st.tuples(st.sampled_from(["catalog", "schedule", "appointments", "cmd", "ack"]), noise),
)


# --- the agent and the oracle --------------------------------------------------------------------

@pytest.fixture
def agent(tmp_path: Path):
    config = write_config(tmp_path, 1)  # no broker: messages go straight into the agent's handler
    s = settings_for(config)
    db = open_database(s.db_path)
    engine = QueueEngine(db, s)
    engine.arrive_adhoc("模糊测试点")
    engine.issue("A")  # a waiting ticket the readers must keep showing
    a = Agent(s, db, build_link(s, "test", "boot"), engine)
    replies: list[dict] = []
    a.downlink.reply = lambda r: replies.append(r) or True
    a.replies = replies
    yield a
    db.close()


def _tables(db) -> dict[str, list[tuple]]:
    with db.read() as conn:
        return {t: [tuple(r) for r in conn.execute(f"SELECT * FROM {t} ORDER BY 1")]
                for t in ("documents", "appointments", "outbox", "tickets", "visits")} | {
            "announcement": [(db.meta("announcement"),)]}


def _documents(rows: list[tuple]) -> dict[str, tuple[int, dict]]:
    return {kind: (version, json.loads(body)) for kind, version, body, _ in rows}


def _expected(agent: Agent, kind: str, raw: bytes, held: tuple[int, dict] | None) -> dict | None:
    """The document the bus must hold after ``raw`` if it is to be applied, else None (kept)."""
    try:
        data = protocol.decode(raw)
    except protocol.ProtocolError:
        return None
    version, floor = data.get("version"), held[0] if held else 0
    if type(version) is not int or not floor < version <= min(MAX_DOCUMENT_VERSION, floor + MAX_VERSION_STEP):
        return None
    try:
        doc = protocol.validate(protocol.DOCUMENT_MODELS[kind], data)
    except protocol.ProtocolError:
        return None
    if kind != "catalog":
        with agent.db.read() as conn:
            known = set(effective_catalog(conn, agent.settings).prefixes)
        used = {s for v in doc.visits for s in v.services} if kind == "schedule" else {a.service for a in doc.items}
        if not used <= known:
            return None
    return doc.model_dump(mode="json", by_alias=True)


def _forgotten_by(agent: Agent, raw: bytes, before: dict[str, list[tuple]]) -> set[int]:
    """The outbox seqs an ack may delete: only with a valid ack for this epoch, only up to what was
    published (a hostile or stale ack must not delete events headquarters never received)."""
    try:
        ack = protocol.parse(protocol.Ack, raw)
    except protocol.ProtocolError:
        return set()
    if ack.epoch != agent.db.epoch:
        return set()
    upto = min(ack.upto, agent.drain.max_published)
    return {r[0] for r in before["outbox"] if r[0] <= upto}


def _kiosk_reads(agent: Agent) -> None:
    """What the kiosk screens read from what the downlink wrote; any exception fails the property."""
    with agent.db.read() as conn:
        catalog = effective_catalog(conn, agent.settings)
        assert catalog.categories
        planned_visits(conn, agent.settings, time.time())
        ctx = Ctx(conn, agent.settings, time.time())
        for row in conn.execute("SELECT code FROM appointments").fetchall():
            try:
                appointment_rules.find(ctx, row[0], None, None)
            except QueueError as e:
                assert e.code in {"bad_code", "already_checked_in"}, e.code
    agent.engine.snapshot()
    agent.engine.planned()
    assert agent.health_now()["documents"] is not None


class _Tracebacks(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info:
            self.records.append(record)


@settings(max_examples=FUZZ_EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(batch=st.lists(messages, min_size=1, max_size=6))
def test_any_downlink_sequence_leaves_the_agent_alive_and_the_documents_sound(agent: Agent, batch) -> None:
    with agent.db.write() as conn:  # each example starts from the shipped documents, so versions 1..12 matter
        conn.execute("DELETE FROM documents")
        conn.execute("DELETE FROM appointments")
    for _ in range(4):  # fresh events, most of them as if already published (an ack may forget those)
        agent.engine.suggest(["more_stops"])
    with agent.db.read() as conn:
        newest = conn.execute("SELECT MAX(seq) FROM outbox").fetchone()[0]
    agent.drain.max_published = newest - 2
    tracebacks = _Tracebacks()
    logging.getLogger().addHandler(tracebacks)
    try:
        for kind, raw in batch:
            before = _tables(agent.db)
            held = _documents(before["documents"]).get(kind)
            expected = _expected(agent, kind, raw, held) if kind not in ("cmd", "ack") else None
            replies_before = len(agent.replies)
            raw = raw.replace(OUR_EPOCH.encode(), agent.db.epoch.encode())
            raw = re.sub(rb'"@UPTO([+-][0-9]+)@"', lambda m: str(agent.drain.max_published + int(m[1])).encode(), raw)
            forgotten = _forgotten_by(agent, raw, before) if kind == "ack" else set()
            event(f"ack: {'forgets events' if forgotten else 'forgets nothing'}" if kind == "ack" else
                  f"{kind}: {'valid and newer' if expected is not None else 'kept'}")  # --hypothesis-show-statistics
            topic = "ztc/v1/fleet/catalog" if kind == "catalog" else f"ztc/v1/bus/{BUS}/{kind}"
            agent._on_message(topic, raw, time.time())  # raises if the handler would have crashed
            assert not tracebacks.records, f"traceback logged for {kind}: {tracebacks.records[0].getMessage()}"
            after = _tables(agent.db)
            docs_before, docs_after = _documents(before["documents"]), _documents(after["documents"])
            for other in ("catalog", "schedule", "appointments"):
                if other != kind:
                    assert docs_after.get(other) == docs_before.get(other), f"{kind} message changed {other}"
            for table in ("tickets", "visits"):
                assert after[table] == before[table], f"{kind} message changed {table}"
            assert after["outbox"] == [r for r in before["outbox"] if r[0] not in forgotten], \
                f"{kind} message forgot the wrong events"
            if kind == "ack":
                assert after["documents"] == before["documents"] and after["appointments"] == before["appointments"]
            elif kind == "cmd":
                assert after["documents"] == before["documents"] and after["appointments"] == before["appointments"]
                for reply in agent.replies[replies_before:]:
                    assert set(reply) == {"id", "ok", "detail"} and isinstance(reply["ok"], bool)
                if after["announcement"] != before["announcement"]:
                    cmd = protocol.validate(protocol.Announce, protocol.decode(raw))  # only a valid announce
                    assert json.loads(after["announcement"][0][0])["text_zh"] == cmd.text_zh
            elif expected is None:
                assert docs_after.get(kind) == docs_before.get(kind), f"invalid or stale {kind} was applied"
                assert after["appointments"] == before["appointments"]
            else:
                assert docs_after.get(kind) == (expected["version"], expected), f"valid newer {kind} not applied"
                if kind != "appointments":
                    assert after["appointments"] == before["appointments"]
            _kiosk_reads(agent)
    finally:
        logging.getLogger().removeHandler(tracebacks)
