"""Helpers shared by the printer tests (not fixtures: plain functions)."""
from __future__ import annotations

import cv2
import numpy as np
from PIL import Image

from drivers.ticket_printer.transports import NetworkTransport, SerialTransport, Transport
from drivers.ticket_printer.virtual import VirtualPrinter
from drivers.ticket_printer.worker import TicketPrinter
from tests.qr import decode_qr  # noqa: F401  (the printer tests read their tickets with it)


def transport_to(sim: VirtualPrinter) -> Transport:
    """The driver's real transport to a virtual printer: TCP, or pyserial on the PTY's by-id link."""
    if sim.tcp_port is not None:
        return NetworkTransport("127.0.0.1", sim.tcp_port, timeout_s=5.0)
    return SerialTransport(str(sim.pty_link), baudrate=115200, timeout_s=2.0)


def printer_for(sim: VirtualPrinter, mode: str = "native", width_mm: int = 80, retries: int = 0,
                **kw) -> TicketPrinter:
    options = {"status_timeout_s": 0.5, "io_timeout_s": 5.0, "poll_interval_s": None, "backoff_s": (0.05,)}
    options.update(kw)
    return TicketPrinter(transport_to(sim), paper_width_mm=width_mm, text_mode=mode, retries=retries, **options)


def best_match(haystack: Image.Image, needle: Image.Image) -> float:
    """Normalised correlation of the best place ``needle`` appears in ``haystack`` (1.0 = identical)."""
    h = np.array(haystack.convert("L"), dtype=np.float32)
    n = np.array(needle.convert("L"), dtype=np.float32)
    if n.shape[0] > h.shape[0] or n.shape[1] > h.shape[1]:
        return 0.0
    return float(cv2.minMaxLoc(cv2.matchTemplate(h, n, cv2.TM_CCOEFF_NORMED))[1])


def ink(img: Image.Image) -> Image.Image:
    """Crop a 1-bit picture to its printed (black) part."""
    gray = img.convert("L")
    box = Image.eval(gray, lambda v: 255 - v).getbbox()
    return gray.crop(box) if box else gray
