"""Headquarters tests: an in-process app over a temp store (TestClient), and for the MQTT side a
real mosquitto with the real ``ztc hq`` process (harness shared with tests/telemetry)."""
from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import yaml
from fastapi.testclient import TestClient

from contract import protocol
from hq.api import create_app
from hq.auth import Accounts
from hq.context import HqContext
from hq.storage import HqStore
from tests.pgcluster import PrivateCluster
from tests.telemetry import conftest as telemetry_harness
from tests.telemetry.conftest import Broker, Observer, Proc, free_port, wait_for
from ztc.settings import HqSettings, load_settings

REPO = Path(__file__).resolve().parents[2]

# The real mosquitto and the list of started processes: the telemetry suite's fixtures, shared here.
broker = telemetry_harness.broker
procs = telemetry_harness.procs
PASSWORD = "correct horse 1"
ADMIN, OPERATOR = "chief", "duty"
BEIJING = ZoneInfo("Asia/Shanghai")  # hq.timezone's default: figures and tracks are grouped by its day


def since_midnight(now: float) -> float:
    """Seconds since Beijing's midnight, so a test's data from "a minute ago" can stay on ``now``'s day at
    any hour (the suite also runs at 00:00:10 in Beijing: scripts/at-instant)."""
    d = datetime.fromtimestamp(now, BEIJING)
    return now - d.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()


def artifacts() -> Path:
    base = Path(os.environ.get("ZTC_ARTIFACTS") or REPO / "test-artifacts")
    d = base / "hq"
    d.mkdir(parents=True, exist_ok=True)
    return d


def shipped_catalog() -> dict[str, Any]:
    """The county's service list from config/services.yaml, as a catalog document body."""
    s = load_settings(environ={})
    return {"services": [c.model_dump(mode="json") for c in s.services]}


class Clock:
    """A settable clock for the app (sessions, lockout, 'today')."""

    def __init__(self, now: float | None = None):
        self.now = now if now is not None else time.time()

    def __call__(self) -> float:
        return self.now


class Hq:
    """The app in-process over a temp store; ``published`` records what would go to the broker."""

    def __init__(self, url: str | Path, settings: HqSettings | None = None, connected: bool = True):
        """``url``: a database URL, or a directory for an SQLite file in it."""
        url = url if isinstance(url, str) else f"sqlite:///{url / 'hq.db'}"
        self.url = url
        self.store = HqStore.open(url)
        self.clock = Clock()
        self.published: list[tuple[str, dict[str, Any], int, bool]] = []
        self.connected = connected
        self.ctx = HqContext.build(self.store, settings or HqSettings(), publish=self._publish, clock=self.clock)
        self.app = create_app(self.store, ctx=self.ctx)
        accounts = Accounts(self.store)
        accounts.add_user(ADMIN, "admin", PASSWORD, self.clock())
        accounts.add_user(OPERATOR, "operator", PASSWORD, self.clock())

    def _publish(self, topic: str, payload: dict[str, Any], qos: int, retain: bool) -> bool:
        if self.connected:
            self.published.append((topic, payload, qos, retain))
        return self.connected

    def client(self, host: str = "203.0.113.9") -> TestClient:
        """A browser from outside the open read networks (TestClient's default host is not an IP)."""
        return TestClient(self.app, client=(host, 50000))

    def login(self, name: str = ADMIN) -> tuple[TestClient, str]:
        c = self.client()
        r = c.post("/api/v1/login", json={"name": name, "password": PASSWORD})
        assert r.status_code == 200, r.text
        return c, r.json()["csrf"]

    # --- what buses send, straight into the store (the ingest's own calls) ------------------------

    def position(self, bus: str, ts: float, lat: float = 36.19, lon: float = 118.18, speed: float = 5.0,
                 stop: str | None = None, track: float = 90) -> None:
        self.store.record_latest(bus, "position", {"ts": ts, "lat": lat, "lon": lon, "speed": speed, "track": track,
                                                   "mode": 3, "stop": stop}, ts)

    def events(self, bus: str, items: list[tuple[str, float, dict[str, Any]]], epoch: str = "ep") -> None:
        start = len(self.store.events(bus=bus, epoch=epoch, limit=1000)) + 1
        batch = {"epoch": epoch, "events": [{"seq": start + n, "id": str(uuid.uuid4()), "type": t, "ts": ts, "data": d}
                                            for n, (t, ts, d) in enumerate(items)]}
        self.store.store_events(bus, protocol.validate(protocol.EventBatch, batch), self.clock())

    def close(self) -> None:
        self.store.close()


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PrivateCluster]:
    """One private PostgreSQL server for the whole session; each test takes a fresh database."""
    problem = PrivateCluster.missing()
    assert problem is None, problem
    cluster = PrivateCluster().start()
    yield cluster
    cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def hq_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """``hq.database_url`` of an empty database on each backend: every HQ test runs on both."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'hq' / 'hq.db'}"
    cluster: PrivateCluster = request.getfixturevalue("pg_cluster")
    return cluster.fresh_url()


def use_database(config: Path, url: str) -> Path:
    """A ``--config`` file (tests/telemetry's ``write_config``) with ``hq.database_url`` set to ``url``:
    the telemetry tests that start headquarters run it on each backend (``hq_url``)."""
    cfg = yaml.safe_load(config.read_text())
    cfg["hq"]["database_url"] = url
    config.write_text(yaml.safe_dump(cfg, allow_unicode=True))
    return config


@pytest.fixture
def new_hq_url(request: pytest.FixtureRequest, hq_url: str, tmp_path: Path) -> Callable[[], str]:
    """Another empty database on the backend of ``hq_url``, for a test that needs two."""
    def fresh() -> str:
        if hq_url.startswith("sqlite:"):
            return f"sqlite:///{tmp_path / uuid.uuid4().hex[:8] / 'hq.db'}"
        return request.getfixturevalue("pg_cluster").fresh_url()
    return fresh


@pytest.fixture
def hq(hq_url: str) -> Iterator[Hq]:
    h = Hq(hq_url)
    yield h
    h.close()


@pytest.fixture
def observer(broker: Broker) -> Iterator[Observer]:
    o = Observer(broker.port)
    yield o
    o.close()


class Server:
    """The real ``ztc hq`` process (ingest + web) against the test broker, with an admin account."""

    def __init__(self, tmp: Path, broker_port: int, procs: list[Proc], url: str | None = None,
                 hq_extra: dict[str, Any] | None = None, env: dict[str, str] | None = None):
        self.http = free_port()
        self.url = f"http://127.0.0.1:{self.http}"
        self.config = tmp / "hq.yaml"
        hq = {"host": "127.0.0.1", "port": self.http, "database_url": url or f"sqlite:///{tmp / 'hq' / 'hq.db'}",
              "client_id": f"ztc.hq.{uuid.uuid4().hex[:8]}", "map": {"tile_url": ""},  # no internet here
              "mqtt": {"host": "127.0.0.1", "port": broker_port, "username": "ztc.hq", "keepalive_s": 5}}
        self.config.write_text(yaml.safe_dump({"data_dir": str(tmp / "bus"), "hq": hq | (hq_extra or {})}))
        r = subprocess.run([sys.executable, "-m", "ztc_cli", "--config", str(self.config), "hq", "user", "add", ADMIN,
                            "--role", "admin"], input=PASSWORD + "\n", capture_output=True, text=True, cwd=REPO,
                           timeout=60)
        assert r.returncode == 0, r.stderr
        self.proc = Proc(self.config, ["hq"], tmp / "hq.log", env=env).start()
        procs.append(self.proc)
        wait_for(self._up, 30, "ztc hq to serve HTTP")

    def _up(self) -> bool:
        try:
            return httpx.get(f"{self.url}/login", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def login(self) -> tuple[httpx.Client, str]:
        c = httpx.Client(base_url=self.url, timeout=10)
        r = c.post("/api/v1/login", json={"name": ADMIN, "password": PASSWORD})
        assert r.status_code == 200, r.text
        return c, r.json()["csrf"]


@pytest.fixture
def server(tmp_path: Path, broker: Broker, procs: list[Proc], hq_url: str) -> Server:
    return Server(tmp_path, broker.port, procs, hq_url)
