"""A private PostgreSQL cluster for the tests and the benchmark: Debian's ``postgresql`` package,
``initdb`` + ``pg_ctl`` in a temp dir on a free loopback port, stopped at the end.

The server refuses to run as root (CI runs as root): then the cluster belongs to the unprivileged
``nobody`` and its commands run through ``runuser``. Authentication is ``trust`` on loopback only;
each test gets a fresh database (``fresh_url``), which costs a few milliseconds, not a cluster.
"""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import psycopg

SUPERUSER = "ztc"


def _bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrivateCluster:
    def __init__(self, durable: bool = False) -> None:
        self.durable = durable  # the benchmark measures with fsync on, as production runs
        self.bindir = _bindir()
        self.port = _free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="ztc-pg-"))
        self.data = self.dir / "data"
        self.as_root = os.geteuid() == 0
        self._shared: str | None = None

    @staticmethod
    def missing() -> str | None:
        if _bindir() is None:
            return "PostgreSQL server programs not found (Debian package 'postgresql', scripts/setup-system.sh)"
        return None

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        assert self.bindir is not None
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self.as_root:
            cmd = ["runuser", "-u", "nobody", "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=self.dir)

    def start(self) -> PrivateCluster:
        if self.as_root:
            os.chmod(self.dir, 0o755)
            shutil.chown(self.dir, "nobody")
        r = self._run("initdb", "-D", str(self.data), "-U", SUPERUSER, "--auth=trust", "-E", "UTF8",
                      "--locale=C.UTF-8", "--no-sync")
        if r.returncode != 0:
            raise RuntimeError(f"initdb failed: {r.stderr or r.stdout}")
        # A test server: no fsync wait (the tests crash processes, not the machine), small and quiet.
        with open(self.data / "postgresql.conf", "a") as f:
            f.write(f"\nport = {self.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{self.dir}'\n"
                    "max_connections = 200\nshared_buffers = 128MB\n")
            if not self.durable:
                f.write("fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n")
        r = self._run("pg_ctl", "-D", str(self.data), "-l", str(self.dir / "server.log"), "-w", "-t", "60", "start")
        if r.returncode != 0:
            log = (self.dir / "server.log").read_text(errors="replace") if (self.dir / "server.log").exists() else ""
            raise RuntimeError(f"pg_ctl start failed: {r.stderr or r.stdout}\n{log[-2000:]}")
        return self

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str | None = None) -> str:
        name = name or f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
        return name

    def fresh_url(self) -> str:
        """A new empty schema (of one shared database) as the only one on the search path: as empty
        as a new database for the store, in under a millisecond instead of half a second."""
        if self._shared is None:
            self._shared = self.create_database("hq_tests")
        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url(self._shared), autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{name}"')
        return f"{self.url(self._shared)}?options=-csearch_path%3D{name}"

    def fresh_database_url(self) -> str:
        """A new empty database (what pg_dump and pg_restore work on)."""
        return self.url(self.create_database())

    def drop_database(self, name: str) -> None:
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop", timeout=60)
        shutil.rmtree(self.dir, ignore_errors=True)
