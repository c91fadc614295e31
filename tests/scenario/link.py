"""The bus's cellular link, as a real TCP relay (socat) between the agent and the broker.

Why socat and not a socket in the test: the link must be cut the way a modem loses it — every open
connection gone at once and nobody answering until it is back — while the broker and headquarters
stay up. Killing socat's process group does exactly that; starting it again restores the link.
"""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess

from tests.telemetry.conftest import free_port, wait_for


class CellularLink:
    """``127.0.0.1:port`` → the broker, up or cut on demand."""

    def __init__(self, broker_port: int):
        self.broker_port = broker_port
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.cuts = 0

    def up(self) -> None:
        self.proc = subprocess.Popen(
            ["socat", f"TCP-LISTEN:{self.port},bind=127.0.0.1,reuseaddr,fork",
             f"TCP:127.0.0.1:{self.broker_port}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        wait_for(self._listening, 10, "the link relay (socat) to listen")

    def _listening(self) -> bool:
        import socket
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
            return True
        except OSError:
            return False

    def cut(self) -> None:
        """Drop every connection over the link and refuse new ones (the relay and its forks die)."""
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)
            self.proc = None
            self.cuts += 1

    def close(self) -> None:
        self.cut()
