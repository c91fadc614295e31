"""Ticket printer: bytes per ticket, time to render and hand over a ticket, time on a serial line.

The hand-over figure is the driver's whole path — lay out, render, status check, send over TCP to
the virtual printer, status confirmation — beside a bare baseline in the same run: the same
pre-rendered bytes written on a fresh socket to the same virtual printer plus one status round trip.
Serial-line times are computed from the bytes (8N1: 10 bits per byte).
"""
from __future__ import annotations

import socket
import statistics
import tempfile
import time
from pathlib import Path

from bench import Row
from drivers.ticket_printer.content import TicketContent
from drivers.ticket_printer.layout import ticket_layout
from drivers.ticket_printer.transports import NetworkTransport
from drivers.ticket_printer.virtual import VirtualPrinter
from drivers.ticket_printer.worker import TicketPrinter, render_ticket
from ztc.settings import load_settings

HANDOVER_TARGET_MS = 1000.0   # a resident should hold the ticket within about a second of pressing


def _bare_send(port: int, data: bytes) -> float:
    t0 = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(data + b"\x10\x04\x01")
        s.recv(1)
    return (time.perf_counter() - t0) * 1000


def run(quick: bool) -> list[Row]:
    settings = load_settings(environ={"ZTC_DATA_DIR": tempfile.gettempdir()})
    content = TicketContent.sample(settings)
    reps = 3 if quick else 15
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        for width in (80, 58):
            sim = VirtualPrinter(Path(tmp), width_dots=576 if width == 80 else 384, save_png=False)
            port = sim.start_tcp("127.0.0.1", 0)
            try:
                for mode in ("native", "raster"):
                    data = render_ticket(content, width, mode)
                    text_bytes = len("\n".join(ticket_layout(content, width).texts()).encode("utf-8"))
                    rows.append(Row(f"ticket bytes, {mode}, {width} mm", len(data), "B", text_bytes,
                                    "the ticket's text alone in UTF-8"))
                    printer = TicketPrinter(NetworkTransport("127.0.0.1", port), paper_width_mm=width,
                                            text_mode=mode, retries=0, status_timeout_s=1.0, poll_interval_s=None)
                    ours, bare = [], []
                    with printer:
                        for _ in range(reps):
                            t0 = time.perf_counter()
                            job = printer.submit(content)
                            job.wait(30)
                            ours.append((time.perf_counter() - t0) * 1000)
                            if job.state != "done":
                                raise RuntimeError(f"benchmark print failed: {job.error}")
                            bare.append(_bare_send(port, data))
                    med, base = statistics.median(ours), statistics.median(bare)
                    rows.append(Row(f"render + hand over, {mode}, {width} mm (median of {reps})", med, "ms", base,
                                    "same bytes on a bare socket + 1 status round trip",
                                    f"≤ {HANDOVER_TARGET_MS:.0f} ms", med <= HANDOVER_TARGET_MS))
                    for baud in (9600, 115200):
                        rows.append(Row(f"line time at {baud} baud, {mode}, {width} mm", len(data) * 10 / baud, "s"))
            finally:
                sim.stop()
    return rows
