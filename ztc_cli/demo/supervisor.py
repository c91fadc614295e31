"""Start child processes in order, wait until each is ready, forward their output, stop them all.

Why a supervisor of our own: the demo must leave nothing running after Ctrl-C, including the
grandchildren some tools start (gpsfake starts gpsd). Each child therefore gets its own process group
(``start_new_session``) and is stopped by group: SIGTERM, then SIGKILL after a grace period.
"""
from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TextIO


class ChildFailed(RuntimeError):
    """A child exited or did not become ready; the message names it and shows its last output."""


class Interrupted(RuntimeError):
    """Ctrl-C/SIGTERM arrived while waiting for a child to become ready."""


@dataclass
class ChildSpec:
    """What to run: a name (the output prefix), the command, extra environment and a readiness test."""

    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    ready: Callable[[Child], bool] | None = None  # None: ready once started
    ready_timeout_s: float = 60.0
    cwd: str | None = None


class Child:
    """One running child: its process, the last lines it wrote, and the thread forwarding them."""

    def __init__(self, spec: ChildSpec, proc: subprocess.Popen[bytes], sink: TextIO, lock: threading.Lock):
        self.spec, self.proc = spec, proc
        self.lines: deque[str] = deque(maxlen=200)
        self._sink, self._lock = sink, lock
        self._pump = threading.Thread(target=self._forward, name=f"out-{spec.name}", daemon=True)
        self._pump.start()

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def _forward(self) -> None:
        assert self.proc.stdout is not None
        for raw in iter(self.proc.stdout.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            self.lines.append(line)
            with self._lock, contextlib.suppress(ValueError, OSError):  # the sink may be closed at exit
                self._sink.write(f"[{self.spec.name}] {line}\n")
                self._sink.flush()

    def tail(self, n: int = 15) -> str:
        return "\n".join(list(self.lines)[-n:])

    def stop(self, grace_s: float) -> None:
        """SIGTERM the whole group, SIGKILL it after ``grace_s``; also reap stragglers of the group."""
        if self.alive:
            _signal_group(self.pid, signal.SIGTERM)
            try:
                self.proc.wait(grace_s)
            except subprocess.TimeoutExpired:
                _signal_group(self.pid, signal.SIGKILL)
                self.proc.wait(10)
        _signal_group(self.pid, signal.SIGKILL)  # grandchildren that outlived their parent
        self._pump.join(2)


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def port_open(port: int, host: str = "127.0.0.1") -> Callable[[Child], bool]:
    """Readiness: something accepts TCP connections on ``host:port``."""

    def check(_child: Child) -> bool:
        try:
            socket.create_connection((host, port), timeout=0.5).close()
            return True
        except OSError:
            return False

    return check


def output_matches(pattern: str) -> Callable[[Child], bool]:
    """Readiness: the child wrote a line matching ``pattern`` (regular expression)."""
    regex = re.compile(pattern)
    return lambda child: any(regex.search(line) for line in list(child.lines))


def any_output(child: Child) -> bool:
    """Readiness: the child wrote its first line."""
    return bool(child.lines)


class Supervisor:
    """Children started in order and stopped in reverse order; usable as a context manager."""

    def __init__(self, sink: TextIO | None = None, grace_s: float = 5.0,
                 cancel: threading.Event | None = None):
        self.sink = sink or sys.stdout
        self.grace_s = grace_s
        self.cancel = cancel or threading.Event()  # set by a signal handler: stop waiting, shut down
        self.children: list[Child] = []
        self._lock = threading.Lock()

    def say(self, text: str) -> None:
        with self._lock:
            self.sink.write(f"[demo] {text}\n")
            self.sink.flush()

    def start(self, spec: ChildSpec) -> Child:
        """Start ``spec`` and wait until it is ready; raise ChildFailed naming it otherwise."""
        env = os.environ | spec.env
        try:
            proc = subprocess.Popen(spec.argv, env=env, cwd=spec.cwd, stdin=subprocess.DEVNULL,
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
        except OSError as e:
            raise ChildFailed(f"{spec.name}: 无法启动 / cannot start {spec.argv[0]}: {e}") from e
        child = Child(spec, proc, self.sink, self._lock)
        self.children.append(child)
        deadline = time.monotonic() + spec.ready_timeout_s
        while spec.ready is not None and not spec.ready(child):
            if self.cancel.is_set():
                raise Interrupted(f"{spec.name}: 启动时被中断 / interrupted while starting")
            if not child.alive:
                raise ChildFailed(f"{spec.name}: 启动后退出 / exited with code {proc.returncode} while starting:\n"
                                  f"{child.tail()}")
            if time.monotonic() > deadline:
                raise ChildFailed(f"{spec.name}: {spec.ready_timeout_s:.0f} 秒内未就绪 / not ready within "
                                  f"{spec.ready_timeout_s:.0f} s:\n{child.tail()}")
            time.sleep(0.1)
        self.say(f"{spec.name} 已启动 / started (pid {proc.pid})")
        return child

    def first_dead(self) -> Child | None:
        """A child that has exited (the demo reports it instead of carrying on half-broken)."""
        return next((c for c in self.children if not c.alive), None)

    def stop_all(self) -> None:
        """Stop every child, last started first (the kiosks before the servers they talk to)."""
        for child in reversed(self.children):
            child.stop(self.grace_s)
        self.children.clear()

    def __enter__(self) -> Supervisor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop_all()
