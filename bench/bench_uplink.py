"""Uplink benchmarks (issue 5), each against a real mosquitto started here:

1. Draining N events (default 10,000) from the outbox to an acknowledged state (the headquarters
   ingest stores them and acks) — beside a bare paho QoS 1 publish of the same number of messages
   of the same size to the same broker, in the same run. Target: ≥ 0.5 of the bare rate.
2. Bytes on the wire (both directions, MQTT level, counted by a TCP proxy between agent and broker)
   for a simulated 8-hour service day: 4 h driving, 4 h parked, 300 tickets each issued, called,
   started, completed and rated. Simulated time drives the real agent code; the bytes are real.
   Target: ≤ 1 MB.
"""
from __future__ import annotations

import contextlib
import math
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt

from bench import Row
from drivers.gps.fix import Fix
from hq.ingest import Ingest
from hq.ingest import build_link as hq_link
from hq.storage import HqStore
from telemetry.agent import Agent, build_link
from ztc.db import open_database, outbox
from ztc.domain.engine import QueueEngine
from ztc.settings import Settings, load_settings

BUS = "bench-bus"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Broker:
    def __init__(self, workdir: Path):
        self.port = _free_port()
        conf = workdir / "mosquitto.conf"
        conf.write_text(f"listener {self.port} 127.0.0.1\nallow_anonymous true\nmax_queued_messages 100000\n"
                        "max_inflight_messages 100\n")
        self.proc = subprocess.Popen(["mosquitto", "-c", str(conf)], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


class _CountingProxy:
    """TCP relay counting every byte both ways: what a cellular modem would bill."""

    def __init__(self, target_port: int):
        self.target = target_port
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.bytes_up = 0
        self.bytes_down = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target))
            threading.Thread(target=self._pipe, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, False), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket, up: bool) -> None:
        with contextlib.suppress(OSError):
            while data := src.recv(65536):
                if up:
                    self.bytes_up += len(data)
                else:
                    self.bytes_down += len(data)
                dst.sendall(data)
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        self.sock.close()


def _settings(tmp: Path, port: int, **agent: object) -> Settings:
    env = {"ZTC_BUS__ID": BUS, "ZTC_DATA_DIR": str(tmp / "bus"), "ZTC_MQTT__PORT": str(port),
           "ZTC_HQ__MQTT__PORT": str(port), "ZTC_HQ__DATABASE_URL": f"sqlite:///{tmp / 'hq.db'}"}
    env |= {f"ZTC_AGENT__{k.upper()}": str(v) for k, v in agent.items()}
    return load_settings(environ=env)


def _start_hq(settings: Settings) -> tuple[Ingest, threading.Event, threading.Thread]:
    store = HqStore.open(settings.hq.database_url)
    ingest = Ingest(store, hq_link(settings.hq))
    stop = threading.Event()
    t = threading.Thread(target=ingest.run, args=(stop,), daemon=True)
    t.start()
    return ingest, stop, t


def _stop_hq(ingest: Ingest, stop: threading.Event, t: threading.Thread) -> None:
    stop.set()
    t.join(5)
    ingest.link.stop()
    ingest.store.close()


def _wait_connected(link, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not link.connected:
        if time.monotonic() > deadline:
            raise TimeoutError("no MQTT connection")
        time.sleep(0.01)


# --- 1: drain rate -----------------------------------------------------------------------------

def bare_publish_rate(port: int, n: int, size: int) -> float:
    """paho QoS 1, n messages of ``size`` bytes, until every PUBACK is back: messages per second."""
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="bench-bare")
    client.max_inflight_messages_set(100)
    client.connect("127.0.0.1", port)
    client.loop_start()
    payload = b"x" * size
    t0 = time.perf_counter()
    infos = [client.publish(f"bench/bare/{BUS}", payload, qos=1) for _ in range(n)]
    for info in infos:
        info.wait_for_publish(60)
    elapsed = time.perf_counter() - t0
    client.loop_stop()
    client.disconnect()
    return n / elapsed


def drain_rate(tmp: Path, port: int, n: int) -> tuple[float, int]:
    """Outbox of n events → published, stored at HQ, acked, deleted: events per second."""
    settings = _settings(tmp, port)
    db = open_database(settings.db_path)
    with db.write() as conn:
        for k in range(n):
            outbox.append(conn, "ticket.issued", {"number": f"A{k:03d}", "prefix": "A", "stop": "nanma-xincun",
                                                  "ahead": 3, "est_wait_s": 420.0}, time.time())
    with db.read() as conn:
        sample = outbox.pending(conn, 0, 1)[0]
    size = len(str(sample.to_wire()))
    hq = _start_hq(settings)
    agent = Agent(settings, db, build_link(settings, "bench", "boot"), QueueEngine(db, settings),
                  devices=lambda: {})
    agent.link.start()
    _wait_connected(agent.link)
    _wait_connected(hq[0].link)
    time.sleep(0.3)  # subscriptions settle
    t0 = time.perf_counter()
    while True:
        item = agent.link.get(0.05)
        if item is not None:
            agent.handle(item)
        while (item := agent.link.get(0)) is not None:
            agent.handle(item)
        agent.drain.pump(time.time(), agent.link.connected)
        with db.read() as conn:
            if outbox.stats(conn)["pending"] == 0:
                break
        if time.perf_counter() - t0 > 300:
            raise TimeoutError("drain did not finish")
    elapsed = time.perf_counter() - t0
    stored = len(hq[0].store.events(BUS, limit=n + 10))
    assert stored == n, f"HQ holds {stored} of {n}"
    agent.link.stop()
    _stop_hq(*hq)
    db.close()
    return n / elapsed, size


# --- 2: bytes for a service day ----------------------------------------------------------------

class _SimClock:
    def __init__(self, t: float):
        self.t = t

    def __call__(self) -> float:
        return self.t


def _fix(t: float, driving: bool, base: tuple[float, float], k: int) -> Fix:
    if driving:
        # ~11 m/s (40 km/h) heading east-north-east
        dist = 11.0 * k
        lat = base[0] + dist * 0.3 / 111_000
        lon = base[1] + dist * 0.95 / (111_000 * math.cos(math.radians(base[0])))
        return Fix(ts=t, lat=lat, lon=lon, speed=11.0, track=72.0, mode=3, alt=300.0, eph=5.0, sats=9)
    jitter = ((k * 7919) % 5 - 2) * 1e-6 * 2
    return Fix(ts=t, lat=base[0] + jitter, lon=base[1] - jitter, speed=0.1, track=0.0, mode=3, alt=300.0,
               eph=5.0, sats=9)


def service_day_bytes(tmp: Path, broker_port: int, hours: float = 8.0, tickets: int = 300) -> dict[str, float]:
    proxy = _CountingProxy(broker_port)
    settings = _settings(tmp, proxy.port)
    hq_settings = _settings(tmp, broker_port)
    db = open_database(settings.db_path)
    t0 = 1_779_066_000.0  # 2026-05-18 09:00 Beijing
    clock = _SimClock(t0)
    engine = QueueEngine(db, settings, clock)
    devices = {"ticket_printer": {"state": "ok", "detail": "就绪 / ready"},
               "a4_printer": {"state": "ok", "detail": "就绪 / ready"},
               "camera": {"state": "ok", "detail": "就绪 / ready"}}
    hq = _start_hq(hq_settings)
    agent = Agent(settings, db, build_link(settings, "bench", "boot", clock), engine, clock=clock,
                  devices=lambda: devices)
    agent.link.start()
    _wait_connected(agent.link)
    _wait_connected(hq[0].link)
    seconds = int(hours * 3600)
    block = seconds // 8                      # drive, park, drive, park, … (4 h each in total)
    parked_seconds = seconds // 2
    ticket_every = parked_seconds / tickets
    windows = 8
    base = (36.1849, 118.1706)
    issued = 0
    parked_elapsed = 0.0
    next_ticket = 0.0
    actions: list[tuple[float, int, str, object]] = []  # (when, order, what, ticket) — events spread in time
    for w in range(1, windows + 1):
        engine.open_window(w, f"crew-{w}", ["A", "B", "C", "D", "E", "F", "G"])
    for s in range(seconds):
        clock.t = t0 + s
        phase, k = divmod(s, block)
        driving = phase % 2 == 0
        if not driving and k == 0:
            engine.arrive_adhoc(f"临时点 {phase}")
        if driving and k == 0 and phase > 0:
            actions.clear()
            for w in range(1, windows + 1):
                if engine.serving_ticket(w) is not None:
                    engine.complete(w, "A01", "completed")
            engine.depart(decision="release")
        if not driving:
            parked_elapsed += 1
            if issued < tickets and parked_elapsed >= next_ticket:
                t = engine.issue("A")
                w = issued % windows + 1
                actions += [(clock.t + 60, issued, "call", w), (clock.t + 300, issued, "done", (w, t.id))]
                issued += 1
                next_ticket += ticket_every
            for act in sorted(a for a in actions if a[0] <= clock.t):
                actions.remove(act)
                if act[2] == "call":
                    if engine.call_next(act[3]) is not None:
                        engine.start(act[3])
                else:
                    w, ticket_id = act[3]
                    if engine.serving_ticket(w) is not None:
                        engine.complete(w, "A01", "completed")
                        engine.rate(ticket_id, 5)
        fix = _fix(clock.t, driving, base, k)
        while (item := agent.link.get(0)) is not None:
            agent.handle(item)
        agent._on_fix(fix, clock.t, agent.link.connected)
        agent._reports(clock.t, agent.link.connected)
        agent.drain.pump(clock.t, agent.link.connected)
        # Simulated seconds pass faster than real acks come back: wait (real time) for them, as a
        # live link would have answered within the simulated second.
        deadline = time.monotonic() + 2
        while agent.drain.inflight and time.monotonic() < deadline:
            item = agent.link.get(0.02)
            if item is not None:
                agent.handle(item)
    # Let the last acks arrive, then count.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        item = agent.link.get(0.1)
        if item is not None:
            agent.handle(item)
        agent.drain.pump(clock.t, agent.link.connected)
        with db.read() as conn:
            if outbox.stats(conn)["pending"] == 0:
                break
    with db.read() as conn:
        pending = outbox.stats(conn)["pending"]
    agent.link.stop()
    time.sleep(0.2)
    result = {"up": proxy.bytes_up, "down": proxy.bytes_down, "tickets": issued, "pending": pending,
              "positions": agent.published_positions,
              "events": len(hq[0].store.events(BUS, limit=100000))}
    proxy.close()
    _stop_hq(*hq)
    db.close()
    return result


def run(quick: bool = False) -> list[Row]:
    n = 2000 if quick else 10_000
    tmp = Path(tempfile.mkdtemp(prefix="ztc-bench-uplink-"))
    broker = _Broker(tmp)
    try:
        rate, size = drain_rate(tmp / "drain", broker.port, n)
        bare = bare_publish_rate(broker.port, n, size)
        hours = 2.0 if quick else 8.0
        day = service_day_bytes(tmp / "day", broker.port, hours, int(300 * hours / 8))
    finally:
        broker.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    total_mb = (day["up"] + day["down"]) / 1e6 * (8.0 / hours)
    print(f"service day: {day}", file=sys.stderr)
    return [
        Row(f"outbox drain to acked, {n} events (~{size} B each)", rate, "ev/s", bare,
            f"bare paho QoS1 publish of {n} messages of {size} B, same broker", "≥ 0.5× bare",
            rate >= 0.5 * bare),
        Row(f"bytes on the wire, 8 h day (4 h driving, 300 tickets){' (2 h ×4)' if quick else ''}", total_mb,
            "MB", None, "", "≤ 1 MB", total_mb <= 1.0),
    ]
