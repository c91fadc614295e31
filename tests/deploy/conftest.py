"""Fixtures for the deployment tests: fleet credentials made by the shipped script, and a real
mosquitto started with the shipped headquarters configuration (TLS, passwords, ACL)."""
from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support import free_port

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = REPO / "scripts"
BROKER_CONF = REPO / "config" / "mosquitto" / "ztc.conf"
BROKER_ACL = REPO / "config" / "mosquitto" / "ztc.acl"
BUSES = ("yiyuan-01", "yiyuan-02")


def make_certs(directory: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(SCRIPTS / "make-broker-certs.sh"), str(directory), *args],
                          check=True, capture_output=True, text=True)


def _world_reachable_dir(prefix: str) -> Path:
    """A temp dir mosquitto can enter after it drops root for its own user (pytest's are 0700)."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)
    return path


@pytest.fixture(scope="session")
def pki() -> Iterator[Path]:
    """A fleet: CA, server certificate for localhost, two buses and the headquarters user."""
    directory = _world_reachable_dir("ztc-pki-")
    make_certs(directory, "ca")
    make_certs(directory, "server", "localhost", "127.0.0.1")
    for bus in BUSES:
        make_certs(directory, "bus", bus, "localhost")
    make_certs(directory, "hq")
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="session")
def stranger_ca() -> Iterator[Path]:
    """A second, unrelated certificate authority (what a client must not be talked into trusting)."""
    directory = Path(tempfile.mkdtemp(prefix="ztc-stranger-"))
    make_certs(directory, "ca")
    make_certs(directory, "server", "localhost", "127.0.0.1")
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


def render_broker_conf(etc_dir: Path, tls_port: int, local_port: int) -> str:
    """The shipped configuration with only its file paths and port numbers moved into the test.

    Every other line is used as shipped; a substitution that no longer finds its line fails loudly,
    so the test cannot silently run a broker that differs from what headquarters gets."""
    text = BROKER_CONF.read_text(encoding="utf-8")
    replacements = [
        ("/etc/mosquitto/ztc/", f"{etc_dir}/"),
        ("\nlistener 8883\n", f"\nlistener {tls_port} 127.0.0.1\n"),
        ("\nlistener 1883 127.0.0.1\n", f"\nlistener {local_port} 127.0.0.1\n"),
    ]
    for old, new in replacements:
        assert old in text, f"shipped broker config no longer contains {old!r}"
        text = text.replace(old, new)
    return text


@dataclass(frozen=True)
class Broker:
    tls_port: int
    local_port: int
    pki: Path

    def password(self, user: str) -> str:
        import yaml

        path = self.pki / ("hq/hq.yaml" if user == "ztc.hq" else f"buses/{user}/bus.yaml")
        return yaml.safe_load(path.read_text(encoding="utf-8"))["mqtt"]["password"]


def _wait_for_port(port: int, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"mosquitto exited: {log.read_text(errors='replace')}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"mosquitto did not listen on {port}: {log.read_text(errors='replace')}")


@pytest.fixture(scope="session")
def broker(pki: Path) -> Iterator[Broker]:
    """mosquitto with the shipped config, files laid out (and owned) as install-hq.sh lays them out."""
    mosquitto = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    etc_dir = _world_reachable_dir("ztc-broker-")
    for name in ("ca.crt", "server.crt", "server.key", "passwd"):
        shutil.copy(pki / name, etc_dir / name)
    shutil.copy(BROKER_ACL, etc_dir / "acl")
    if os.geteuid() == 0:  # mosquitto drops root for its own user before reading these
        uid = pwd.getpwnam("mosquitto").pw_uid
        for name in ("server.key", "passwd", "acl"):
            os.chown(etc_dir / name, uid, -1)
    tls_port, local_port = free_port(), free_port()
    conf = etc_dir / "mosquitto.conf"
    conf.write_text(render_broker_conf(etc_dir, tls_port, local_port), encoding="utf-8")
    log = etc_dir / "mosquitto.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([mosquitto, "-c", str(conf)], stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_for_port(tls_port, proc, log)
        _wait_for_port(local_port, proc, log)
        yield Broker(tls_port, local_port, pki)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(etc_dir, ignore_errors=True)
