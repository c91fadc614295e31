"""Real servers for the agent/ingest tests: a mosquitto on a free loopback port (killable and
restartable on the same port), and ``ztc agent`` / ``ztc hq`` as real subprocesses."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import paho.mqtt.client as mqtt
import pytest
import yaml

from tests.support import free_port, wait_for
from ztc.settings import Settings, load_settings

REPO = Path(__file__).resolve().parents[2]
BUS = "test-bus"


class Broker:
    """A real mosquitto with a temp config and persistence directory."""

    def __init__(self, workdir: Path):
        self.dir = workdir
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.conf = workdir / "mosquitto.conf"
        self.conf.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\n"
            f"persistence true\npersistence_location {workdir}/\n"
            "max_queued_messages 100000\nmax_inflight_messages 100\n"
            f"log_dest file {workdir}/mosquitto.log\nlog_type error\nlog_type warning\n")

    def start(self) -> None:
        self.proc = subprocess.Popen(["mosquitto", "-c", str(self.conf)], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        wait_for(self._accepting, 15, "mosquitto to accept connections")

    def _accepting(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            raise AssertionError(f"mosquitto exited: {(self.dir / 'mosquitto.log').read_text()[-500:]}")
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
            return True
        except OSError:
            return False

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    d = tmp_path / "broker"
    d.mkdir()
    b = Broker(d)
    b.start()
    yield b
    b.stop()


def write_config(tmp: Path, broker_port: int, http_port: int | None = None, **agent: Any) -> Path:
    """A ``--config`` file: test bus, temp data dir, the test broker, fast resend/reconnect."""
    cfg = {
        "bus": {"id": BUS},
        "data_dir": str(tmp / "bus"),
        "mqtt": {"host": "127.0.0.1", "port": broker_port, "username": BUS, "keepalive_s": 5},
        "hq": {"host": "127.0.0.1", "port": http_port or free_port(),
               "database_url": f"sqlite:///{tmp / 'hq' / 'hq.db'}",
               "mqtt": {"host": "127.0.0.1", "port": broker_port, "username": "ztc.hq", "keepalive_s": 5}},
        "agent": {"resend_after_s": 3, "reconnect_min_s": 0.2, "reconnect_max_s": 1, "coalesce_s": 0.2,
                  "linger_s": 0.2,
                  **agent},
    }
    path = tmp / "ztc.yaml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True))
    return path


def settings_for(config: Path) -> Settings:
    return load_settings(config, environ={})


class Proc:
    """``ztc <command>`` as a real subprocess, logging to a file the test can show on failure."""

    def __init__(self, config: Path, command: list[str], log: Path, env: dict[str, str] | None = None):
        self.config, self.command, self.log_path = config, command, log
        self.env = env or {}
        self.proc: subprocess.Popen | None = None

    def start(self) -> Proc:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ZTC_")} | self.env
        self.log_file = open(self.log_path, "ab")  # noqa: SIM115 (closed in wait/kill)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "ztc_cli", "--config", str(self.config), "--log-level", "INFO", *self.command],
            cwd=REPO, env=env, stdout=self.log_file, stderr=subprocess.STDOUT)
        return self

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self, sig: int = signal.SIGKILL) -> int | None:
        if self.alive:
            assert self.proc is not None
            self.proc.send_signal(sig)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log_file.close()
        return self.proc.returncode if self.proc else None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:]


@pytest.fixture
def procs() -> Iterator[list[Proc]]:
    """Every process a test starts is killed at its end, whatever happened."""
    started: list[Proc] = []
    yield started
    for p in started:
        p.kill()


class Observer:
    """A plain MQTT client recording every message on ``ztc/v1/#`` (as headquarters staff would see)."""

    def __init__(self, port: int):
        self.messages: list[tuple[str, bytes, bool]] = []
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"observer-{os.getpid()}-{id(self)}")
        self.client.on_message = lambda c, u, m: self.messages.append((m.topic, bytes(m.payload), bool(m.retain)))
        self.client.on_connect = lambda c, u, f, rc, p: c.subscribe("ztc/v1/#", qos=1)
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def last(self, topic: str) -> dict | None:
        for t, payload, _ in reversed(self.messages):
            if t == topic and payload:
                return json.loads(payload)
        return None

    def all(self, topic: str) -> list[dict]:
        return [json.loads(p) for t, p, _ in self.messages if t == topic and p]

    def publish(self, topic: str, payload: bytes | str, retain: bool = False) -> None:
        self.client.publish(topic, payload, qos=1, retain=retain).wait_for_publish(10)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


@pytest.fixture
def observer(broker: Broker) -> Iterator[Observer]:
    o = Observer(broker.port)
    yield o
    o.close()


def hq_events(http_port: int, bus: str = BUS) -> list[dict]:
    """Every event headquarters stored for ``bus``, through the HTTP API, in order."""
    out: list[dict] = []
    after = 0
    while True:
        r = httpx.get(f"http://127.0.0.1:{http_port}/api/v1/events",
                      params={"bus": bus, "after_seq": after, "limit": 1000}, timeout=10)
        r.raise_for_status()
        page = r.json()
        out += page
        if len(page) < 1000:
            return out
        after = page[-1]["seq"]


def api_up(http_port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{http_port}/api/v1/buses", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False
