"""The retained reports a headquarters map relies on, with a real mosquitto and a real agent:
status online → offline (last will) on SIGKILL, offline on a clean stop, queue and health
retained, the agent surviving a missing broker, and systemd READY/WATCHDOG notifications."""
from __future__ import annotations

import signal
import socket
from pathlib import Path

from tests.telemetry.conftest import BUS, Broker, Observer, Proc, settings_for, wait_for, write_config
from ztc.db import open_database
from ztc.domain.engine import QueueEngine

STATUS = f"ztc/v1/bus/{BUS}/status"
QUEUE = f"ztc/v1/bus/{BUS}/queue"
HEALTH = f"ztc/v1/bus/{BUS}/health"


def test_status_online_then_offline_by_last_will_on_sigkill(tmp_path: Path, broker: Broker,
                                                            observer: Observer, procs: list[Proc]) -> None:
    config = write_config(tmp_path, broker.port)
    agent = Proc(config, ["agent", "--no-gps"], tmp_path / "agent.log").start()
    procs.append(agent)
    online = wait_for(lambda: (s := observer.last(STATUS)) and s["online"] and s, 30, "status online")
    assert online["sw"] and online["boot"]
    agent.kill(signal.SIGKILL)
    offline = wait_for(lambda: (s := observer.last(STATUS)) and not s["online"] and s, 60,
                       "the last will (status offline)")
    assert offline["boot"] == online["boot"]
    # Retained: a dashboard connecting later still learns the bus is offline.
    late = Observer(broker.port)
    try:
        retained = wait_for(lambda: late.last(STATUS), 10, "the retained status")
        assert retained["online"] is False
        assert any(t == STATUS and r for t, _, r in late.messages)
    finally:
        late.close()


def test_clean_stop_says_offline_and_queue_health_are_retained(tmp_path: Path, broker: Broker,
                                                              observer: Observer, procs: list[Proc]) -> None:
    config = write_config(tmp_path, broker.port)
    settings = settings_for(config)
    db = open_database(settings.db_path)
    engine = QueueEngine(db, settings)
    engine.arrive_adhoc("测试点")
    agent = Proc(config, ["agent", "--no-gps"], tmp_path / "agent.log").start()
    procs.append(agent)
    wait_for(lambda: (q := observer.last(QUEUE)) and q["waiting"] == 0, 30, "the first queue report")
    engine.issue("A")
    engine.issue("B")
    queue = wait_for(lambda: (q := observer.last(QUEUE)) and q["waiting"] == 2 and q, 30, "queue on change")
    assert queue["by_service"] == {"A": 1, "B": 1} and queue["accepting"] is True
    health = wait_for(lambda: observer.last(HEALTH), 30, "health")
    assert set(health) >= {"ts", "sw", "devices", "outbox", "disk_free_mb"}
    assert health["outbox"]["pending"] >= 0 and health["disk_free_mb"] > 0
    late = Observer(broker.port)
    try:
        wait_for(lambda: late.last(QUEUE) and late.last(HEALTH), 10, "retained queue and health")
        assert late.last(QUEUE)["waiting"] == 2
    finally:
        late.close()
    assert agent.kill(signal.SIGTERM) == 0
    wait_for(lambda: (s := observer.last(STATUS)) and s["online"] is False, 10, "offline after a clean stop")
    db.close()


def test_agent_waits_for_a_broker_that_is_not_there_yet(tmp_path: Path, procs: list[Proc]) -> None:
    d = tmp_path / "broker"
    d.mkdir()
    broker = Broker(d)  # not started: the agent comes up first (boot order must not matter)
    config = write_config(tmp_path, broker.port)
    agent = Proc(config, ["agent", "--no-gps"], tmp_path / "agent.log").start()
    procs.append(agent)
    wait_for(lambda: "cannot connect to the broker" in agent.log(), 30, "the agent to try and fail")
    assert agent.alive
    broker.start()
    try:
        observer = Observer(broker.port)
        try:
            wait_for(lambda: (s := observer.last(STATUS)) and s["online"], 30, f"status online: {agent.log()}")
        finally:
            observer.close()
        assert agent.alive
    finally:
        broker.stop()


def test_systemd_ready_and_watchdog(tmp_path: Path, broker: Broker, procs: list[Proc]) -> None:
    sock_path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(sock_path))
    sock.settimeout(30)
    config = write_config(tmp_path, broker.port)
    agent = Proc(config, ["agent", "--no-gps"], tmp_path / "agent.log",
                 env={"NOTIFY_SOCKET": str(sock_path)}).start()
    procs.append(agent)
    received: list[str] = []
    try:
        while not any("WATCHDOG=1" in m for m in received) or len([m for m in received if "WATCHDOG" in m]) < 2:
            received.append(sock.recv(4096).decode())
    finally:
        sock.close()
    assert received[0].startswith("READY=1"), received[:3]
    assert sum("WATCHDOG=1" in m for m in received) >= 2
