"""Test harness: a real gpsd, fed by gpsfake, on a free loopback port; and a thread collecting fixes.

gpsfake starts its own gpsd (``-P PORT``), adds a pseudo-terminal as the device and writes the log
into it, ``-c`` seconds per sentence. Choices that make this robust and fast:
- ``-1``: play the log once (by default gpsfake loops it forever);
- ``-n``: gpsd opens the device at once instead of waiting for a client (as on the bus);
- the log starts with a few seconds of no-fix sentences (a receiver just switched on), so a client
  that connects a moment after the feed began still sees every real fix of the day;
- ``-c 0.002`` replays the 22-minute sample day in about 12 s; override with ZTC_GPSFAKE_CYCLE.
"""
from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

from . import nmea

REPO = Path(__file__).resolve().parents[2]
CYCLE = os.environ.get("ZTC_GPSFAKE_CYCLE", "0.002")
NO_FIX_PADDING_S = 150


def shared_dir() -> Path:
    return Path(os.environ.get("ZTC_SHARED_DIR") or (REPO / ".." / "shared")).resolve()


def day_fixture() -> Path:
    path = shared_dir() / "fixtures" / "gps" / "yiyuan-day.nmea"
    assert path.is_file(), f"GPS fixture missing: {path} (set ZTC_SHARED_DIR to the shared folder)"
    return path


def wait_for_port(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.01)
    raise TimeoutError(f"gpsd did not listen on port {port} within {timeout} s")


class GpsFake:
    """One gpsfake run (and the gpsd it starts) replaying ``log`` on ``port``."""

    def __init__(self, log: Path, port: int, cycle: str = CYCLE):
        self.log, self.port, self.cycle = log, port, cycle
        self.proc: subprocess.Popen[bytes] | None = None
        self.out_path = log.with_name(f"{log.stem}-{port}.gpsfake.out")

    def start(self) -> GpsFake:
        with open(self.out_path, "ab") as out:
            self.proc = subprocess.Popen(
                ["gpsfake", "-1", "-q", "-n", "-P", str(self.port), "-c", self.cycle, str(self.log)],
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            wait_for_port(self.port)
        except TimeoutError:
            self.stop()
            raise
        return self

    def gpsd_pid(self) -> int:
        """The gpsd child of this gpsfake (found through /proc)."""
        assert self.proc is not None
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
                cmd = (entry / "cmdline").read_bytes().split(b"\0")[0]
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == self.proc.pid and cmd.endswith(b"gpsd"):
                return int(entry.name)
        raise LookupError("gpsd child of gpsfake not found")

    def kill_gpsd(self) -> None:
        """SIGKILL gpsd itself (gpsfake notices and ends); what a crash of gpsd looks like."""
        os.kill(self.gpsd_pid(), signal.SIGKILL)
        self.stop()

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(2)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        # gpsd runs in gpsfake's process group; make sure it is gone too.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc = None

    def output(self) -> str:
        return self.out_path.read_text(errors="replace") if self.out_path.exists() else ""


def padded_log(path: Path, lines: list[str], trailing_s: int = 0) -> Path:
    """``lines`` preceded by NO_FIX_PADDING_S seconds of a receiver without a fix (and followed by
    ``trailing_s`` more: the report that tells a client the last fix's epoch is over)."""
    tail = nmea.lost_fix_lines(trailing_s)
    return nmea.write_log(path, nmea.no_fix_lines(nmea.first_time(lines), NO_FIX_PADDING_S) + lines + tail)


class Collector:
    """Runs a GPS source's ``fixes()`` in a thread, handing each fix to ``on_fix``; keeps them all."""

    def __init__(self, source, on_fix=None):
        self.source = source
        self.on_fix = on_fix
        self.fixes: list = []
        self.errors: list[BaseException] = []
        self._cond = threading.Condition()
        self.thread = threading.Thread(target=self._run, name="gps-collector", daemon=True)

    def _run(self) -> None:
        try:
            for fix in self.source.fixes():
                if self.on_fix is not None:
                    self.on_fix(fix)
                with self._cond:
                    self.fixes.append(fix)
                    self._cond.notify_all()
        except BaseException as e:  # surfaced by the test
            self.errors.append(e)

    def start(self) -> Collector:
        self.thread.start()
        return self

    def wait_for(self, predicate, timeout: float = 90.0) -> bool:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate(self.fixes):
                left = deadline - time.monotonic()
                if left <= 0 or self.errors:
                    return False
                self._cond.wait(min(left, 0.5))
        return True

    def stop(self) -> None:
        self.source.stop()
        self.thread.join(10)
        assert not self.thread.is_alive(), "GPS source did not stop"
