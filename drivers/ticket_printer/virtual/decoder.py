"""Decode the ESC/POS byte stream a kiosk printer receives into printed items, incrementally.

The virtual printer feeds whatever arrives (one byte at a time on a slow serial line, or 64 kB at
once over TCP) into ``EscPosDecoder.feed``; a command split across reads waits for its remaining
bytes. Understood: ESC @, text (GB18030 in Chinese mode), ESC a/E/!/d/J/2/3/M/-/t, GS !/B/V,
raster images GS v 0, QR codes GS ( k, FS & / FS . / FS !, and real-time status DLE EOT n.
Anything else is recorded as ``unknown`` (with its bytes) and skipped, as a real printer would.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from PIL import Image

ESC, GS, FS, DLE, LF, CR = 0x1B, 0x1D, 0x1C, 0x10, 0x0A, 0x0D

# ESC/GS/FS commands without payload beyond a fixed number of argument bytes.
_ESC_ARGS = {ord("@"): 0, ord("a"): 1, ord("E"): 1, ord("!"): 1, ord("d"): 1, ord("J"): 1, ord("2"): 0,
             ord("3"): 1, ord("M"): 1, ord("-"): 1, ord("t"): 1, ord("G"): 1, ord("{"): 1, ord("V"): 1,
             ord("R"): 1, ord("p"): 3, ord("c"): 2, ord("U"): 1, ord(" "): 1, ord("$"): 2, ord("e"): 1}
_GS_ARGS = {ord("!"): 1, ord("B"): 1, ord("L"): 2, ord("W"): 2, ord("H"): 1, ord("h"): 1, ord("w"): 1,
            ord("f"): 1, ord("a"): 1, ord("r"): 1, ord("b"): 1, ord("I"): 1, ord("P"): 2}
_FS_ARGS = {ord("&"): 0, ord("."): 0, ord("!"): 1, ord("C"): 1, ord("W"): 1, ord("S"): 2, ord("-"): 1}


@dataclass
class Style:
    align: str = "left"
    bold: bool = False
    width: int = 1           # character magnification (GS !)
    height: int = 1
    invert: bool = False
    chinese: bool = False    # FS & seen: two-byte characters are GB18030


@dataclass(frozen=True)
class TextLine:
    text: str
    align: str
    bold: bool
    width: int
    height: int
    invert: bool


@dataclass(frozen=True)
class RasterImage:
    image: Image.Image       # mode "1", black = printed dot
    align: str


@dataclass(frozen=True)
class QrCode:
    data: str
    module: int
    ec: str
    align: str


@dataclass
class _QrPending:
    """The QR code being set up by GS ( k (store, size, level) until its print command."""

    module: int = 3
    ec: str = "L"
    data: bytes = b""


@dataclass(frozen=True)
class Feed:
    dots: int


Item = TextLine | RasterImage | QrCode | Feed


@dataclass
class DecodedTicket:
    """Everything printed between two cuts."""

    items: list[Item] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)   # commands we skipped, e.g. "ESC 0x7a"
    bytes_received: int = 0
    png: str | None = None                              # where the virtual printer saved its picture

    def lines(self) -> list[str]:
        return [i.text for i in self.items if isinstance(i, TextLine)]

    def text(self) -> str:
        return "\n".join(self.lines())

    def qr_payloads(self) -> list[str]:
        return [i.data for i in self.items if isinstance(i, QrCode)]

    def images(self) -> list[RasterImage]:
        return [i for i in self.items if isinstance(i, RasterImage)]

    def raster(self) -> Image.Image | None:
        """All raster fragments stacked as the paper would show them (None if there were none)."""
        parts = [i.image for i in self.images()]
        if not parts:
            return None
        width = max(p.width for p in parts)
        out = Image.new("1", (width, sum(p.height for p in parts)), 1)
        y = 0
        for p in parts:
            out.paste(p, (0, y))
            y += p.height
        return out


@dataclass(frozen=True)
class StatusQuery:
    n: int


@dataclass(frozen=True)
class Cut:
    ticket: DecodedTicket


Event = StatusQuery | Cut


class EscPosDecoder:
    """Stateful decoder for one connection. ``feed`` returns the events that completed."""

    def __init__(self) -> None:
        self.buf = bytearray()
        self.style = Style()
        self.line = bytearray()
        self.ticket = DecodedTicket()
        self.qr = _QrPending()

    def feed(self, data: bytes) -> list[Event]:
        self.buf += data
        self.ticket.bytes_received += len(data)
        events: list[Event] = []
        while self.buf:
            used = self._step(events)
            if used == 0:      # incomplete command: wait for more bytes
                break
            del self.buf[:used]
        return events

    def pending_ticket(self) -> DecodedTicket:
        """What has been printed since the last cut (for a connection that dropped mid-ticket)."""
        return self.ticket

    # --- one command ------------------------------------------------------------------------------

    def _step(self, events: list[Event]) -> int:
        b = self.buf
        c = b[0]
        if c == LF:
            self._flush_line(force=True)
            return 1
        if c == CR:
            return 1
        if c == DLE:
            if len(b) < 3:
                return 0
            if b[1] == 0x04:
                events.append(StatusQuery(b[2]))
                return 3
            if b[1] == 0x14:          # DLE DC4 fn m t (pulse / power-off): 5 bytes
                return 5 if len(b) >= 5 else 0
            self.ticket.unknown.append(f"DLE 0x{b[1]:02x}")
            return 2
        if c == ESC:
            return self._esc(events)
        if c == GS:
            return self._gs(events)
        if c == FS:
            return self._fs()
        if c < 0x20:
            if c not in (0x09, 0x0C, 0x00):
                self.ticket.unknown.append(f"0x{c:02x}")
            return 1
        # printable: take the run up to the next control byte (GB18030 trail bytes are all ≥ 0x30)
        end = 1
        while end < len(b) and b[end] >= 0x20:
            end += 1
        self.line += b[:end]
        return end

    def _esc(self, events: list[Event]) -> int:
        b = self.buf
        if len(b) < 2:
            return 0
        cmd = b[1]
        n = _ESC_ARGS.get(cmd)
        if n is None:
            self.ticket.unknown.append(f"ESC 0x{cmd:02x}")
            return 2
        if len(b) < 2 + n:
            return 0
        arg = b[2] if n else 0
        s = self.style
        if cmd == ord("@"):
            self._flush_line(force=False)
            self.style = Style()
        elif cmd == ord("a"):
            s.align = {0: "left", 1: "center", 2: "right", 48: "left", 49: "center", 50: "right"}.get(arg, "left")
        elif cmd == ord("E"):
            s.bold = bool(arg & 1)
        elif cmd == ord("!"):
            s.bold = bool(arg & 0x08)
            s.height = 2 if arg & 0x10 else 1
            s.width = 2 if arg & 0x20 else 1
        elif cmd == ord("d"):
            self._flush_line(force=False)
            self.ticket.items.append(Feed(arg * 30))
        elif cmd == ord("J"):
            self._flush_line(force=False)
            self.ticket.items.append(Feed(arg))
        return 2 + n

    def _gs(self, events: list[Event]) -> int:
        b = self.buf
        if len(b) < 2:
            return 0
        cmd = b[1]
        if cmd == ord("v"):
            return self._raster()
        if cmd == ord("("):
            return self._gs_paren()
        if cmd == ord("V"):
            if len(b) < 3:
                return 0
            m = b[2]
            used = 4 if m in (65, 66, 97, 98, 103, 104) else 3
            if len(b) < used:
                return 0
            self._flush_line(force=False)
            events.append(Cut(self.ticket))
            self.ticket = DecodedTicket()
            return used
        n = _GS_ARGS.get(cmd)
        if n is None:
            self.ticket.unknown.append(f"GS 0x{cmd:02x}")
            return 2
        if len(b) < 2 + n:
            return 0
        arg = b[2] if n else 0
        if cmd == ord("!"):
            self.style.width = ((arg >> 4) & 0x07) + 1
            self.style.height = (arg & 0x07) + 1
        elif cmd == ord("B"):
            self.style.invert = bool(arg & 1)
        return 2 + n

    def _fs(self) -> int:
        b = self.buf
        if len(b) < 2:
            return 0
        cmd = b[1]
        n = _FS_ARGS.get(cmd)
        if n is None:
            self.ticket.unknown.append(f"FS 0x{cmd:02x}")
            return 2
        if len(b) < 2 + n:
            return 0
        if cmd == ord("&"):
            self.style.chinese = True
        elif cmd == ord("."):
            self.style.chinese = False
        return 2 + n

    def _raster(self) -> int:
        """GS v 0 m xL xH yL yH d1…dk: a raster bit image, k = (xL + 256 xH) × (yL + 256 yH)."""
        b = self.buf
        if len(b) < 8:
            return 0
        if b[2] not in (0x30, 0x00):
            self.ticket.unknown.append(f"GS v 0x{b[2]:02x}")
            return 3
        width_bytes = b[4] | (b[5] << 8)
        rows = b[6] | (b[7] << 8)
        size = width_bytes * rows
        if len(b) < 8 + size:
            return 0
        self._flush_line(force=False)
        data = bytes(b[8:8 + size])
        # ESC/POS: bit set = black dot; Pillow "1": 0 = black. Invert the bytes.
        img = Image.frombytes("1", (width_bytes * 8, rows), bytes(x ^ 0xFF for x in data))
        self.ticket.items.append(RasterImage(img, self.style.align))
        return 8 + size

    def _gs_paren(self) -> int:
        """GS ( fn pL pH …: 2D codes (k), graphics (L) and others — length-prefixed, so skippable."""
        b = self.buf
        if len(b) < 5:
            return 0
        length = b[3] | (b[4] << 8)
        if len(b) < 5 + length:
            return 0
        body = bytes(b[5:5 + length])
        if b[2] == ord("k") and length >= 2 and body[0] == 0x31:      # cn 49: QR code
            fn = body[1]
            if fn == 67 and length >= 3:
                self.qr.module = body[2]
            elif fn == 69 and length >= 3:
                self.qr.ec = {48: "L", 49: "M", 50: "Q", 51: "H"}.get(body[2], "?")
            elif fn == 80:
                self.qr.data = body[3:]
            elif fn == 81:
                self._flush_line(force=False)
                self.ticket.items.append(QrCode(self.qr.data.decode("utf-8", "replace"),
                                                self.qr.module, self.qr.ec, self.style.align))
        elif b[2] != ord("k"):
            self.ticket.unknown.append(f"GS ( {chr(b[2])}")
        return 5 + length

    def _flush_line(self, force: bool) -> None:
        """Print the line buffer (LF prints even an empty line: a blank feed)."""
        if not self.line and not force:
            return
        raw = bytes(self.line)
        self.line.clear()
        text = raw.decode("gb18030", "replace") if self.style.chinese else raw.decode("latin-1")
        if "\ufffd" in text:
            self.ticket.unknown.append(f"undecodable text {raw!r}")
        s = self.style
        self.ticket.items.append(TextLine(text, s.align, s.bold, s.width, s.height, s.invert))
