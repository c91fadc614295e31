"""Byte sinks for the ticket printer: USB, serial, network (port 9100), device file, and the simulator.

Each transport opens its link lazily (never in its constructor) and adds what a kiosk needs: finite
timeouts on every read and write, "no answer" told apart from "connection lost", and one exception
type (``TransportError``) whose message names the device, so the job worker can decide to reconnect.

Why network, serial and file links are opened here (a socket, pyserial, a file) and only USB goes
through python-escpos's printer class: importing escpos loads its printer-capabilities database,
Pillow, qrcode and python-barcode (~5 MB resident), and the resident kiosk polls its printer all
day without drawing anything (tickets are drawn in the render process). USB keeps escpos for its
device search and interface claim, imported when the transport is first opened.
"""
from __future__ import annotations

import contextlib
import logging
import socket
import termios
from abc import ABC, abstractmethod
from typing import Any

from ztc.text import Text

log = logging.getLogger(__name__)

CLOSED_BY_PRINTER = Text("连接被打印机关闭", "connection closed by the printer")

# What a dead link raises: sockets and pyserial raise OSError subclasses, pyusb USBError (an OSError
# too), pyserial sometimes ValueError (closed port) or termios.error (a tty that went away).
LINK_ERRORS = (OSError, ValueError, termios.error)
CHUNK = 4096   # bytes per write: a timeout then means "no progress", not "the whole ticket took long"


class TransportError(Exception):
    """The printer cannot be reached or the link was lost; the job may be retried after reopening."""


class _DeviceNotFound(Exception):
    """Raised by ``_open_device`` when the device is not there (escpos's own error is mapped to it)."""


class Transport(ABC):
    """One byte link to one printer. Not thread-safe: only the printer's worker thread uses it."""

    can_read = True      # False where the link is write-only (then status is always "unknown")
    keep_open = True     # False: open per job (port 9100 printers serve one connection at a time)

    def __init__(self) -> None:
        self._open = False

    @property
    def name(self) -> str:
        """Human-readable address, used in every message about this printer."""
        return self.__class__.__name__

    @property
    def is_open(self) -> bool:
        return self._open

    def open(self) -> None:
        if self._open:
            return
        try:
            self._open_device()
        except (_DeviceNotFound, *LINK_ERRORS) as e:
            raise TransportError(f"{self.name}: {_first_line(e)}") from e
        self._open = True

    def write(self, data: bytes) -> None:
        self.open()
        try:
            for start in range(0, len(data), CHUNK):
                self._write(data[start:start + CHUNK])
        except LINK_ERRORS as e:
            self.close()
            raise TransportError(f"{self.name}: {_first_line(e) or type(e).__name__}") from e

    def read(self, n: int, timeout_s: float) -> bytes:
        """Up to ``n`` bytes; ``b""`` when nothing came within ``timeout_s`` (a silent printer)."""
        self.open()
        try:
            return self._read(n, timeout_s)
        except TransportError:
            self.close()
            raise
        except LINK_ERRORS as e:
            self.close()
            raise TransportError(f"{self.name}: {_first_line(e) or type(e).__name__}") from e

    def drain(self) -> bytes:
        """Discard bytes already waiting (stale or unsolicited replies) before a new query."""
        junk = b""
        while self.can_read:
            got = self.read(64, 0.0)
            if not got:
                break
            junk += got
        return junk

    def close(self) -> None:
        if not self._open:
            return
        self._open = False
        try:
            self._close_device()
        except Exception as e:  # closing a dead link must never raise into the worker
            log.debug("closing %s: %s", self.name, e)

    @abstractmethod
    def _open_device(self) -> None: ...

    @abstractmethod
    def _write(self, chunk: bytes) -> None: ...

    def _read(self, n: int, timeout_s: float) -> bytes:
        return b""

    @abstractmethod
    def _close_device(self) -> None: ...


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return " ".join(text.split("\n")) if text else type(e).__name__


class NetworkTransport(Transport):
    """A network printer (raw TCP, usually port 9100); also the virtual printer (kind ``sim``)."""

    keep_open = False

    def __init__(self, host: str, port: int = 9100, timeout_s: float = 5.0):
        super().__init__()
        self.host, self.port, self.timeout_s = host, port, timeout_s
        self._socket: socket.socket | None = None

    @property
    def name(self) -> str:
        return f"tcp://{self.host}:{self.port}"

    @classmethod
    def from_settings(cls, cfg: Any) -> NetworkTransport:
        return cls(cfg.host, cfg.port, cfg.timeout_s)

    def _open_device(self) -> None:
        self._socket = socket.create_connection((self.host, self.port), timeout=self.timeout_s)
        # Status queries are 3-byte writes answered by 1 byte: without NODELAY, Nagle + delayed ACK
        # add ~40 ms to every round trip.
        self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _sock(self) -> socket.socket:
        if self._socket is None:
            raise TransportError(f"{self.name}: not connected")
        return self._socket

    def _write(self, chunk: bytes) -> None:
        sock = self._sock()
        sock.settimeout(self.timeout_s)
        sock.sendall(chunk)

    def _read(self, n: int, timeout_s: float) -> bytes:
        sock = self._sock()
        sock.settimeout(timeout_s if timeout_s > 0 else 0.0)
        try:
            data = sock.recv(n)
        except (TimeoutError, BlockingIOError):
            return b""
        if not data:
            raise TransportError(f"{self.name}: {CLOSED_BY_PRINTER}")
        return data

    def _close_device(self) -> None:
        sock, self._socket = self._socket, None
        if sock is None:
            return
        with contextlib.suppress(OSError):   # the peer may have gone already
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()


class SerialTransport(Transport):
    """A serial printer; address it by ``/dev/serial/by-id/…`` so it survives re-plugging."""

    def __init__(self, device: str, baudrate: int = 9600, timeout_s: float = 2.0):
        super().__init__()
        self.device, self.baudrate, self.timeout_s = device, baudrate, timeout_s
        self._port: Any = None   # a serial.Serial while open

    @property
    def name(self) -> str:
        return f"serial:{self.device}@{self.baudrate}"

    @classmethod
    def from_settings(cls, cfg: Any) -> SerialTransport:
        return cls(cfg.device, cfg.baudrate, cfg.timeout_s)

    def _open_device(self) -> None:
        import serial  # pyserial, only where a serial printer is configured

        try:
            # 8N1, no software flow control; dsrdtr=False: most kiosk printers wire RTS/CTS or
            # nothing, and DSR/DTR would block on a bare cable.
            self._port = serial.Serial(port=self.device, baudrate=self.baudrate, bytesize=serial.EIGHTBITS,
                                       parity=serial.PARITY_NONE, stopbits=serial.STOPBITS_ONE,
                                       timeout=self.timeout_s, write_timeout=self.timeout_s, xonxoff=False,
                                       dsrdtr=False)
        except serial.SerialException as e:
            raise _DeviceNotFound(f"Unable to open serial printer on {self.device}: {e}") from e

    def _write(self, chunk: bytes) -> None:
        self._port.write(chunk)

    def _read(self, n: int, timeout_s: float) -> bytes:
        port = self._port
        port.timeout = timeout_s
        return bytes(port.read(n))

    def _close_device(self) -> None:
        # No flush first (tcdrain): it fails or hangs on a line that is gone.
        port, self._port = self._port, None
        if port is not None:
            port.close()


class UsbTransport(Transport):
    """A USB printer found by vendor/product id (pyusb); every transfer has a finite timeout."""

    def __init__(self, vendor_id: int, product_id: int, interface: int = 0, in_ep: int = 0x82,
                 out_ep: int = 0x01, timeout_ms: int = 2000):
        super().__init__()
        self.vendor_id, self.product_id, self.interface = vendor_id, product_id, interface
        self.in_ep, self.out_ep, self.timeout_ms = in_ep, out_ep, timeout_ms
        self._p: Any = None   # escpos's Usb printer, made on the first open

    @property
    def name(self) -> str:
        return f"usb:{self.vendor_id:04x}:{self.product_id:04x}"

    @classmethod
    def from_settings(cls, cfg: Any) -> UsbTransport:
        return cls(cfg.vendor_id, cfg.product_id, cfg.interface, cfg.in_ep, cfg.out_ep, cfg.timeout_ms)

    def _open_device(self) -> None:
        from drivers.ticket_printer.escpos_lib import DeviceNotFoundError, printer

        if self._p is None:
            # Keywords only: the positional meaning of Usb()'s arguments changed between escpos releases.
            self._p = printer.Usb(idVendor=self.vendor_id, idProduct=self.product_id, timeout=self.timeout_ms,
                                  in_ep=self.in_ep, out_ep=self.out_ep)
        try:
            self._p.open()
        except DeviceNotFoundError as e:
            raise _DeviceNotFound(str(e)) from e

    def _write(self, chunk: bytes) -> None:
        self._p._device.write(self.out_ep, chunk, self.timeout_ms)

    def _read(self, n: int, timeout_s: float) -> bytes:
        import usb.core  # type: ignore[import-untyped]  # pyusb ships no types (no stubs package either)

        try:
            return bytes(self._p._device.read(self.in_ep, max(n, 64), max(1, int(timeout_s * 1000))))
        except usb.core.USBTimeoutError:
            return b""

    def _close_device(self) -> None:
        if self._p is not None:
            self._p.close()


class FileTransport(Transport):
    """A printer device node such as ``/dev/usb/lp0``, written as a file (no status can be read)."""

    can_read = False

    def __init__(self, device: str):
        super().__init__()
        self.device = device
        self._file: Any = None   # the device node, open for writing

    @property
    def name(self) -> str:
        return f"file:{self.device}"

    @classmethod
    def from_settings(cls, cfg: Any) -> FileTransport:
        return cls(cfg.device)

    def _open_device(self) -> None:
        self._file = open(self.device, "wb")  # noqa: SIM115 (held open until close())

    def _write(self, chunk: bytes) -> None:
        self._file.write(chunk)
        self._file.flush()

    def _close_device(self) -> None:
        f, self._file = self._file, None
        if f is not None:
            f.close()
