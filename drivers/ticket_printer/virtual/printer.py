"""The virtual ticket printer: listens like a 9100 network printer and like a serial printer on a PTY.

Why imitate the transport rather than the driver's API (as OctoPrint's virtual printer does): then
the real driver code — sockets, pyserial, timeouts, reconnects — runs in every test and in
``make run``. It decodes what it receives, saves each cut ticket as a PNG, answers ``DLE EOT``
status queries from its (fault-injectable) state, and can drop the link or run slowly on demand.
"""
from __future__ import annotations

import contextlib
import logging
import os
import select
import socket
import threading
import time
import tty
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from drivers.ticket_printer.virtual.decoder import Cut, DecodedTicket, EscPosDecoder, StatusQuery
from drivers.ticket_printer.virtual.paper import save_paper

log = logging.getLogger(__name__)

READ_CHUNK = 4096
POLL_S = 0.1


@dataclass
class Faults:
    """Fault injection; change fields at any time (tests do, while a job runs)."""

    paper: Literal["ok", "near_end", "out"] = "ok"
    cover_open: bool = False
    silent: bool = False                     # never answer status queries (like many cheap printers)
    drop_after_bytes: int | None = None      # one-shot: cut the link after this many more bytes
    paper_out_after_bytes: int | None = None  # one-shot: the roll runs out after this many more bytes
    bytes_per_s: float | None = None         # slow line: take in at most this many bytes per second


def status_byte(faults: Faults, n: int) -> int:
    """The reply to DLE EOT n for the current state (ESC/POS bit layout; fixed bits 0x12)."""
    stopped = faults.cover_open or faults.paper == "out"
    if n == 1:
        return 0x12 | (0x08 if stopped else 0)
    if n == 2:
        return 0x12 | (0x04 if faults.cover_open else 0) | (0x20 if faults.paper == "out" else 0)
    if n == 4:
        return 0x12 | {"ok": 0, "near_end": 0x0C, "out": 0x6C}[faults.paper]
    return 0x12


class _Link:
    """One connection: read with a short timeout, write replies, close."""

    def __init__(self, read: Callable[[int], bytes | None], write: Callable[[bytes], None],
                 close: Callable[[], None], name: str):
        self.read, self.write, self.close, self.name = read, write, close, name


class VirtualPrinter:
    def __init__(self, out_dir: Path, width_dots: int = 576, faults: Faults | None = None, name: str = "ticket",
                 save_png: bool = True):
        self.out_dir = Path(out_dir)
        self.save_png = save_png          # False for benchmarks: measure the driver, not our PNG drawing
        self.width_dots = width_dots
        self.faults = faults or Faults()
        self.name = name
        self.tickets: list[DecodedTicket] = []
        self.spoiled: list[DecodedTicket] = []      # received while out of paper / cover open: not printed
        self.status_queries = 0
        self.connections = 0
        self.bytes_received = 0           # every byte any host wrote to this printer, status queries included
        self._cond = threading.Condition()
        self._running = threading.Event()
        self._threads: list[threading.Thread] = []
        self._server: socket.socket | None = None
        self._pty: tuple[int, int] | None = None
        self.pty_link: Path | None = None
        self.pty_path: str | None = None
        self.pty_opened = 0               # how many times the serial "device" appeared (re-plugs + 1)
        self.tcp_port: int | None = None

    # --- starting and stopping -------------------------------------------------------------------

    def start_tcp(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Listen like a network printer; returns the port (0 picks a free one)."""
        srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind((host, port))
        srv.listen(4)
        srv.settimeout(POLL_S)
        self._server = srv
        self.tcp_port = srv.getsockname()[1]
        self._running.set()
        self._spawn(self._accept_loop, "tcp")
        return self.tcp_port

    def start_pty(self, link: Path | None = None) -> str:
        """Act as a serial printer on a pseudo-terminal. With ``link``, a symlink names it (like
        /dev/serial/by-id/…) and follows the printer when a dropped link makes it re-appear."""
        self.pty_link = Path(link) if link else None
        self._running.set()
        self._open_pty()
        self._spawn(self._pty_loop, "pty")
        return str(self.pty_link) if self.pty_link else str(self.pty_path)

    def stop(self) -> None:
        self._running.clear()
        if self._server is not None:
            self._server.close()
        for t in self._threads:
            t.join(5)
        self._close_pty()
        if self.pty_link is not None:
            with contextlib.suppress(FileNotFoundError):
                self.pty_link.unlink()

    def __enter__(self) -> VirtualPrinter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_for_tickets(self, count: int, timeout: float = 10.0) -> list[DecodedTicket]:
        """Block until ``count`` tickets were printed (or the timeout passed); returns them all."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.tickets) < count and time.monotonic() < deadline:
                self._cond.wait(max(0.0, deadline - time.monotonic()))
            return list(self.tickets)

    def _spawn(self, target: Callable[[], None], kind: str) -> None:
        t = threading.Thread(target=target, name=f"virtual-printer-{kind}", daemon=True)
        t.start()
        self._threads.append(t)

    # --- TCP --------------------------------------------------------------------------------------

    def _accept_loop(self) -> None:
        assert self._server is not None
        while self._running.is_set():
            try:
                conn, peer = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(POLL_S)

            def read(n: int, conn: socket.socket = conn) -> bytes | None:
                try:
                    return conn.recv(n)
                except TimeoutError:
                    return None
                except OSError:
                    return b""

            def close(conn: socket.socket = conn) -> None:
                # Linger 0: a dropped link is a reset, as when a cable is pulled mid-job.
                with contextlib.suppress(OSError):
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                conn.close()

            link = _Link(read, conn.sendall, close, f"tcp {peer[0]}:{peer[1]}")
            # One connection at a time, like a real port-9100 printer.
            self._serve(link)

    # --- PTY --------------------------------------------------------------------------------------

    def _open_pty(self) -> None:
        master, slave = os.openpty()
        tty.setraw(slave)         # no echo, no LF→CRLF: a serial line passes bytes unchanged
        tty.setraw(master)
        self._pty = (master, slave)
        self.pty_path = os.ttyname(slave)
        self.pty_opened += 1
        if self.pty_link is not None:
            tmp = self.pty_link.with_name(self.pty_link.name + ".new")
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            tmp.symlink_to(self.pty_path)
            tmp.replace(self.pty_link)

    def _close_pty(self) -> None:
        if self._pty is not None:
            for fd in self._pty:
                with contextlib.suppress(OSError):
                    os.close(fd)
            self._pty = None

    def _pty_loop(self) -> None:
        while self._running.is_set():
            assert self._pty is not None
            master = self._pty[0]

            def read(n: int, master: int = master) -> bytes | None:
                ready, _, _ = select.select([master], [], [], POLL_S)
                if not ready:
                    return None
                try:
                    return os.read(master, n)
                except OSError:
                    return None

            def write(data: bytes, master: int = master) -> None:
                os.write(master, data)

            dropped = self._serve(_Link(read, write, lambda: None, f"pty {self.pty_path}"))
            if dropped and self._running.is_set():
                # The "unplugged" serial printer comes back as a new device; the link follows it.
                self._close_pty()
                self._open_pty()

    # --- the printer itself -----------------------------------------------------------------------

    def _serve(self, link: _Link) -> bool:
        """Handle one link until EOF, stop or an injected drop; True if the drop was injected."""
        self.connections += 1
        decoder = EscPosDecoder()
        spoiled = self._stopped()
        try:
            while self._running.is_set():
                chunk = link.read(self._chunk_size())
                if chunk is None:
                    continue
                if chunk == b"":
                    return False
                self.bytes_received += len(chunk)
                f = self.faults
                if f.drop_after_bytes is not None and len(chunk) >= f.drop_after_bytes:
                    head = chunk[:f.drop_after_bytes]
                    f.drop_after_bytes = None
                    spoiled = self._take(decoder, head, link, spoiled)
                    log.warning("virtual printer: dropping %s (fault injected)", link.name)
                    self._spoil(decoder.pending_ticket())
                    link.close()
                    return True
                if f.drop_after_bytes is not None:
                    f.drop_after_bytes -= len(chunk)
                if f.paper_out_after_bytes is not None and len(chunk) >= f.paper_out_after_bytes:
                    head, chunk = chunk[:f.paper_out_after_bytes], chunk[f.paper_out_after_bytes:]
                    f.paper_out_after_bytes = None
                    spoiled = self._take(decoder, head, link, spoiled)
                    f.paper = "out"
                    spoiled = True
                elif f.paper_out_after_bytes is not None:
                    f.paper_out_after_bytes -= len(chunk)
                spoiled = self._take(decoder, chunk, link, spoiled)
                if f.bytes_per_s:
                    time.sleep(len(chunk) / f.bytes_per_s)
            return False
        finally:
            if not link.name.startswith("pty"):
                link.close()

    def _take(self, decoder: EscPosDecoder, data: bytes, link: _Link, spoiled: bool) -> bool:
        spoiled = spoiled or self._stopped()
        for event in decoder.feed(data):
            if isinstance(event, StatusQuery):
                self.status_queries += 1
                if not self.faults.silent:
                    with contextlib.suppress(OSError):   # the host went away: nobody to answer
                        link.write(bytes((status_byte(self.faults, event.n),)))
            elif isinstance(event, Cut):
                if spoiled or self._stopped():
                    self._spoil(event.ticket)
                else:
                    self._print(event.ticket)
                spoiled = self._stopped()
        return spoiled

    def _stopped(self) -> bool:
        return self.faults.paper == "out" or self.faults.cover_open

    def _chunk_size(self) -> int:
        bps = self.faults.bytes_per_s
        return READ_CHUNK if not bps else max(1, min(READ_CHUNK, int(bps * 0.05)))

    def _print(self, ticket: DecodedTicket) -> None:
        with self._cond:
            seq = len(self.tickets) + 1
            path = self.out_dir / f"{self.name}-{seq:03d}.png"
        try:
            if self.save_png:
                ticket.png = str(save_paper(ticket, self.width_dots, path))
        except OSError as e:  # a full disk must not stop the printer from "printing"
            log.error("virtual printer: cannot save %s: %s", path, e)
        with self._cond:
            self.tickets.append(ticket)
            self._cond.notify_all()
        log.info("virtual printer: ticket %d printed (%d bytes) → %s", seq, ticket.bytes_received, ticket.png)

    def _spoil(self, ticket: DecodedTicket) -> None:
        if ticket.items or ticket.bytes_received:
            with self._cond:
                self.spoiled.append(ticket)
