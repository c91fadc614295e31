"""The printer's condition from its real-time status replies (``DLE EOT n``), and what we report.

Why "unknown" is a first-class answer: many cheap printers never answer status queries, and
python-escpos reads that silence as "paper OK". A kiosk that believes that hands residents blank
tickets. So every field here is either what the printer actually said, or ``unknown``.
"""
from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from drivers.ticket_printer.transports import Transport
from ztc.text import Text

log = logging.getLogger(__name__)

DLE_EOT = b"\x10\x04"
PRINTER, OFFLINE_CAUSE, ERROR_CAUSE, PAPER_SENSOR = 1, 2, 3, 4

Paper = Literal["ok", "near_end", "out", "unknown"]
Cover = Literal["open", "closed", "unknown"]

MESSAGES: dict[str, Text] = {
    "paper_out": Text("打印机缺纸", "printer out of paper"),
    "paper_near_end": Text("打印纸将用完", "printer paper near end"),
    "cover_open": Text("打印机盖未关", "printer cover open"),
    "offline": Text("打印机离线", "printer offline"),
    "unknown": Text("状态未知（打印机不回答状态查询）", "status unknown (printer does not answer status queries)"),
    "ok": Text("正常", "ok"),
}
PRINTER_NOT_CONNECTED = Text("打印机未连接", "printer not connected: {error}")
NOT_CONTACTED = Text("尚未连接", "not contacted yet")
LOG_UNRECOGNISED_REPLY = Text("%s: 状态回复无法识别", "unrecognised status reply %r")
# Sent before without the space before "/", which the crew console's bilingual() could not split (both
# languages on one line); now the same "zh / en" form as every other detail.
UNKNOWN_STATUS_DETAIL = str(MESSAGES["unknown"])


def query_byte(n: int) -> bytes:
    return DLE_EOT + bytes((n,))


def looks_like_status(b: int) -> bool:
    """Every DLE EOT reply has bits 1 and 4 set and bits 0 and 7 clear (ESC/POS fixed bits)."""
    return (b & 0x93) == 0x12


@dataclass(frozen=True)
class StatusReading:
    """One round of queries. ``answered`` False: the printer stayed silent (status unknown)."""

    answered: bool
    online: bool | None = None
    paper: Paper = "unknown"
    cover: Cover = "unknown"
    garbage: bytes = b""

    @property
    def blocking_fault(self) -> str | None:
        """The MESSAGES key of a fault that makes printing pointless, if any."""
        if self.paper == "out":
            return "paper_out"
        if self.cover == "open":
            return "cover_open"
        if self.online is False:
            return "offline"
        return None


def decode(printer: int | None, offline: int | None, paper: int | None) -> StatusReading:
    """Interpret the reply bytes of DLE EOT 1, 2 and 4 (None where the printer did not answer)."""
    if printer is None:
        return StatusReading(answered=False)
    online = not (printer & 0x08)
    cover: Cover = "unknown" if offline is None else ("open" if offline & 0x04 else "closed")
    if paper is None:
        paper_state: Paper = "unknown"
    elif paper & 0x60:
        paper_state = "out"
    elif paper & 0x0C:
        paper_state = "near_end"
    else:
        paper_state = "ok"
    if offline is not None and offline & 0x20:
        paper_state = "out"      # "stopped because the paper ran out"
    return StatusReading(answered=True, online=online, paper=paper_state, cover=cover)


def _ask(transport: Transport, n: int, timeout_s: float) -> tuple[int | None, bytes]:
    transport.write(query_byte(n))
    reply = transport.read(1, timeout_s)
    if not reply:
        return None, b""
    if not looks_like_status(reply[0]):
        return None, reply
    return reply[0], b""


def read_status(transport: Transport, timeout_s: float) -> StatusReading:
    """Ask DLE EOT 1, then (only if it answered) 2 and 4. Raises TransportError if the link is lost."""
    if not transport.can_read:
        return StatusReading(answered=False)
    transport.drain()
    first, junk = _ask(transport, PRINTER, timeout_s)
    if first is None:
        if junk:
            log.warning(str(LOG_UNRECOGNISED_REPLY), transport.name, junk)
        return StatusReading(answered=False, garbage=junk)
    offline, junk2 = _ask(transport, OFFLINE_CAUSE, timeout_s)
    paper, junk4 = _ask(transport, PAPER_SENSOR, timeout_s)
    reading = decode(first, offline, paper)
    garbage = junk2 + junk4
    if garbage:
        log.warning(str(LOG_UNRECOGNISED_REPLY), transport.name, garbage)
    return StatusReading(reading.answered, reading.online, reading.paper, reading.cover, garbage)


@dataclass
class PrinterStatus:
    """What ``get_status()`` returns: the last known condition and the last problem, never guessed."""

    device: str
    connected: bool | None = None         # None: not tried yet (the device opens lazily)
    online: bool | None = None
    paper: Paper = "unknown"
    cover: Cover = "unknown"
    answers_status: bool | None = None    # False: a silent printer (status stays unknown)
    last_error: str | None = None         # the last failure (cleared by the next success)
    last_job: str | None = None           # "A001 printed" / "A001 failed: …"
    checked_at: float | None = None
    jobs_pending: int = 0
    history: list[str] = field(default_factory=list)

    def apply(self, reading: StatusReading, now: float | None = None) -> None:
        self.connected = True
        self.answers_status = reading.answered
        self.online, self.paper, self.cover = reading.online, reading.paper, reading.cover
        self.checked_at = time.time() if now is None else now

    def health(self) -> dict[str, str]:
        """PROTOCOL.md ``health.devices.<name>``: ``{"state", "detail"}``, Chinese first."""
        if self.connected is False:
            return {"state": "offline", "detail": str(PRINTER_NOT_CONNECTED.format(error=self.last_error or ''))}
        if self.paper == "out":
            return {"state": "error", "detail": str(MESSAGES["paper_out"])}
        if self.cover == "open":
            return {"state": "error", "detail": str(MESSAGES["cover_open"])}
        if self.online is False:
            return {"state": "error", "detail": str(MESSAGES["offline"])}
        if self.last_error:
            return {"state": "error", "detail": self.last_error}
        if self.paper == "near_end":
            return {"state": "degraded", "detail": str(MESSAGES["paper_near_end"])}
        if self.connected is None:
            return {"state": "degraded", "detail": str(NOT_CONTACTED)}
        if not self.answers_status:
            return {"state": "degraded", "detail": UNKNOWN_STATUS_DETAIL}
        return {"state": "ok", "detail": str(MESSAGES["ok"])}

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("history")
        d.update(self.health())
        return d
