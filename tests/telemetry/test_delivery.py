"""Events reach headquarters exactly once, in order — with a real mosquitto, the real agent and
the real ingest as subprocesses, and the faults of issue 5: broker killed and restarted during a
drain, agent SIGKILLed during a drain, ingest SIGKILLed, link down while tickets are issued."""
from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from tests.hq import conftest as hq_harness
from tests.telemetry.conftest import (
    Broker,
    Proc,
    api_up,
    free_port,
    hq_events,
    settings_for,
    wait_for,
    write_config,
)
from ztc.agent_state import read_agent_state
from ztc.db import open_database, outbox
from ztc.domain.engine import QueueEngine

# Headquarters on each backend (SQLite and the private PostgreSQL cluster): the HQ suite's fixtures.
pg_cluster = hq_harness.pg_cluster
hq_url = hq_harness.hq_url


class Bus:
    """The bus side of a test: the real queue engine on the bus database the agent drains."""

    def __init__(self, config: Path):
        self.settings = settings_for(config)
        self.db = open_database(self.settings.db_path)
        self.engine = QueueEngine(self.db, self.settings)
        self.engine.arrive_adhoc("测试点 / test stop")
        self.issued = 0

    def issue(self, n: int) -> None:
        for _ in range(n):
            self.engine.issue("A")
            self.issued += 1

    def bulk(self, n: int) -> None:
        """Many events at once (outbox rows in one write transaction, as the engine writes them)."""
        with self.db.write() as conn:
            for k in range(n):
                outbox.append(conn, "suggestion", {"topics": ["more_stops"], "n": k}, time.time())

    def pending(self) -> int:
        with self.db.read() as conn:
            return outbox.stats(conn)["pending"]


@pytest.fixture
def setup(tmp_path: Path, broker: Broker, procs: list[Proc], hq_url: str):
    http = free_port()
    # Small batches and a narrow window: a 3000-event drain takes long enough to be interrupted.
    config = hq_harness.use_database(write_config(tmp_path, broker.port, http, batch_max_events=10,
                                                  inflight_batches=2), hq_url)

    def start(command: list[str], name: str) -> Proc:
        p = Proc(config, command, tmp_path / f"{name}.log").start()
        procs.append(p)
        return p

    bus = Bus(config)
    yield config, http, bus, start
    bus.db.close()


def bus_event_log(bus: Bus, seen: dict[int, str]) -> None:
    """Remember every outbox row (seq → id) while it still exists on the bus."""
    with bus.db.read() as conn:
        for e in outbox.pending(conn, 0, 100000):
            seen.setdefault(e.seq, e.id)


def assert_exactly_once(http: int, seen: dict[int, str]) -> None:
    events = hq_events(http)
    seqs = [e["seq"] for e in events]
    assert seqs == sorted(seen), f"HQ holds seqs {seqs[:5]}…{seqs[-5:]} ({len(seqs)}), bus made {len(seen)}"
    assert [e["id"] for e in events] == [seen[s] for s in sorted(seen)]
    assert len({e["id"] for e in events}) == len(events)


def test_events_reach_hq_once_and_outbox_empties(setup) -> None:
    _config, http, bus, start = setup
    seen: dict[int, str] = {}
    bus.issue(5)
    bus_event_log(bus, seen)
    start(["hq"], "hq")
    agent = start(["agent", "--no-gps"], "agent")
    wait_for(lambda: api_up(http), 30, "the HQ API")
    wait_for(lambda: bus.pending() == 0, 60, f"outbox to drain: {agent.log()}")
    assert_exactly_once(http, seen)
    types = [e["type"] for e in hq_events(http)]
    assert types == ["stop.arrived"] + ["ticket.issued"] * 5


def drain_through_a_fault(setup, fault, recover) -> None:
    """3000 events draining to HQ; ``fault(procs)`` hits in the middle, the kiosk issues three more
    tickets meanwhile, ``recover(start)`` returns the process whose log explains a stall; then every
    event is at HQ exactly once. ``procs`` holds the "hq" and "agent" processes."""
    _config, http, bus, start = setup
    seen: dict[int, str] = {}
    bus.bulk(3000)
    bus_event_log(bus, seen)
    procs = {"hq": start(["hq"], "hq")}
    wait_for(lambda: api_up(http), 30, "the HQ API")
    procs["agent"] = start(["agent", "--no-gps"], "agent")
    wait_for(lambda: len(hq_events(http)) > 0, 60, "the drain to start")
    fault(procs)
    assert bus.pending() > 0, "the fault must hit in the middle of the drain"
    bus.issue(3)  # the kiosk keeps working meanwhile
    bus_event_log(bus, seen)
    explains = recover(start)
    wait_for(lambda: api_up(http), 30, "the HQ API after the fault")
    wait_for(lambda: bus.pending() == 0, 120, f"outbox to drain after the fault: {explains.log()}")
    assert_exactly_once(http, seen)


def test_broker_killed_and_restarted_during_drain(setup, broker: Broker) -> None:
    procs: dict[str, Proc] = {}

    def fault(started: dict[str, Proc]) -> None:
        procs.update(started)
        broker.kill()

    def recover(_start) -> Proc:
        broker.start()
        return procs["agent"]

    drain_through_a_fault(setup, fault, recover)


def test_agent_sigkilled_during_drain(setup) -> None:
    drain_through_a_fault(setup, lambda procs: procs["agent"].kill(signal.SIGKILL),
                          lambda start: start(["agent", "--no-gps"], "agent2"))


def test_ingest_sigkilled(setup) -> None:
    drain_through_a_fault(setup, lambda procs: procs["hq"].kill(signal.SIGKILL),
                          lambda start: start(["hq"], "hq2"))


def test_link_down_while_tickets_are_issued(setup, broker: Broker) -> None:
    _config, http, bus, start = setup
    seen: dict[int, str] = {}
    start(["hq"], "hq")
    wait_for(lambda: api_up(http), 30, "the HQ API")
    agent = start(["agent", "--no-gps"], "agent")
    bus.issue(2)
    bus_event_log(bus, seen)
    wait_for(lambda: bus.pending() == 0, 60, "the first tickets at HQ and acknowledged")
    # What the crew console's uplink line reads: the agent's state file.
    up = wait_for(lambda: link_state(bus, lambda link: link["connected"] and link["last_ack_at"]), 30,
                  "the agent state to say connected and acknowledged")
    assert up["acked_upto"] >= 3 and up["broker"].endswith(f":{broker.port}")
    broker.stop()  # the cellular link is gone for a while
    down = wait_for(lambda: link_state(bus, lambda link: not link["connected"]), 30, "the state to say down")
    assert down["last_ack_at"] == up["last_ack_at"]          # the last acknowledgement is still shown
    for _ in range(4):
        bus.issue(5)
        bus_event_log(bus, seen)
        time.sleep(0.3)
    assert bus.pending() == 20  # nothing was forgotten without an ack
    broker.start()
    wait_for(lambda: bus.pending() == 0, 120, f"outbox to drain after the link came back: {agent.log()}")
    assert_exactly_once(http, seen)
    wait_for(lambda: link_state(bus, lambda link: link["connected"] and link["last_ack_at"] > up["last_ack_at"]),
             30, "the state to show the new acknowledgement")


def link_state(bus: Bus, wanted) -> dict | None:
    """The ``link`` part of the agent's state file when it is fresh and ``wanted`` holds."""
    found = read_agent_state(bus.settings.data_dir, time.time())
    if not found.fresh:
        return None
    link = found.state["link"]
    return link if wanted(link) else None
