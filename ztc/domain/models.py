"""Typed read models: what the engine returns and the screens draw, instead of string-keyed dicts.

Frozen, so a screen cannot change what another one reads. Where a value leaves the process (an
outbox event, the agent's ``queue`` message, the CLI's JSON) it is converted at that boundary, with
one method: ``to_dict()``; the wire's field names stay those of ``docs/protocol.md``.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

FINAL_STATES = ("served", "no_show", "transferred", "cancelled", "released", "rebooked")


@dataclass(frozen=True, slots=True)
class Ticket:
    """A ticket as the kiosk, the printer and the CLI see it: its row, its stop, and on issue the
    estimate it was given (``ahead``, ``est_wait_s``; None on every later read)."""

    id: str
    number: str
    prefix: str
    service_day: str
    visit_id: str
    item: str | None
    priority: bool
    appointment_id: str | None
    transferred_from: str | None
    order_key: int
    issued_at: float
    state: str
    calls: int
    called_at: float | None
    window: int | None
    crew: str | None
    started_at: float | None
    ended_at: float | None
    printed: int
    pages_scanned: int
    pages_printed: int
    rate_token: str | None
    boot: str | None
    stop_id: str | None
    stop_name: str | None
    ahead: int | None = None
    est_wait_s: float | None = None

    @property
    def final(self) -> bool:
        return self.state in FINAL_STATES

    @classmethod
    def from_row(cls, row: sqlite3.Row, stop_id: str | None, stop_name: str | None) -> Ticket:
        return cls(
            id=row["id"], number=row["number"], prefix=row["prefix"], service_day=row["service_day"],
            visit_id=row["visit_id"], item=row["item"], priority=bool(row["priority"]),
            appointment_id=row["appointment_id"], transferred_from=row["transferred_from"],
            order_key=row["order_key"], issued_at=row["issued_at"], state=row["state"], calls=row["calls"],
            called_at=row["called_at"], window=row["window"], crew=row["crew"], started_at=row["started_at"],
            ended_at=row["ended_at"], printed=row["printed"], pages_scanned=row["pages_scanned"],
            pages_printed=row["pages_printed"], rate_token=row["rate_token"], boot=row["boot"],
            stop_id=stop_id, stop_name=stop_name)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape the CLI printed before this type existed (``final`` included; the estimate
        only when the ticket was just issued)."""
        d = asdict(self)
        d["final"] = self.final
        if self.ahead is None:
            del d["ahead"], d["est_wait_s"]
        return d


@dataclass(frozen=True, slots=True)
class Visit:
    """A stop visit: where the bus serves, since when, what it offers, whether it still takes tickets."""

    id: str
    stop_id: str
    stop_name: str
    service_day: str
    opened_at: float
    opened_by: str
    closed_at: float | None
    closed_by: str | None
    planned_arrive: float | None
    planned_depart: float | None
    services: tuple[str, ...]
    theme: str | None
    adhoc: bool
    closing: bool
    boot: str | None

    @classmethod
    def from_row(cls, row: sqlite3.Row, services: list[str]) -> Visit:
        return cls(id=row["id"], stop_id=row["stop_id"], stop_name=row["stop_name"], service_day=row["service_day"],
                   opened_at=row["opened_at"], opened_by=row["opened_by"], closed_at=row["closed_at"],
                   closed_by=row["closed_by"], planned_arrive=row["planned_arrive"],
                   planned_depart=row["planned_depart"], services=tuple(services), theme=row["theme"],
                   adhoc=bool(row["adhoc"]), closing=bool(row["closing"]), boot=row["boot"])

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["services"] = list(self.services)
        return d


@dataclass(frozen=True, slots=True)
class Departure:
    """What a departure did: closed the visit, or left it closing with ``remaining`` numbers to serve."""

    closed: bool
    visit: Visit | None
    remaining: tuple[str, ...] = ()
    released: int = 0
    rebooked: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"closed": self.closed, "visit": self.visit.to_dict() if self.visit else None,
                "remaining": list(self.remaining), "released": self.released, "rebooked": self.rebooked}


@dataclass(frozen=True, slots=True)
class HomeVisitOpened:
    """A home visit opened by the crew: its visit, its checked-in ticket, and whether it was open already."""

    visit: Visit
    ticket: Ticket | None
    already: bool

    def to_dict(self) -> dict[str, Any]:
        return {"visit": self.visit.to_dict(), "ticket": self.ticket.to_dict() if self.ticket else None,
                "already": self.already}


@dataclass(frozen=True, slots=True)
class Window:
    """A service window: who staffs it, what it serves, whether it calls."""

    number: int
    crew: str | None
    skills: tuple[str, ...]
    open: bool
    paused: bool
    normal_run: int
    opened_at: float | None

    @classmethod
    def from_row(cls, row: sqlite3.Row, skills: list[str]) -> Window:
        return cls(number=row["number"], crew=row["crew"], skills=tuple(skills), open=bool(row["open"]),
                   paused=bool(row["paused"]), normal_run=row["normal_run"], opened_at=row["opened_at"])

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["skills"] = list(self.skills)
        return d


@dataclass(frozen=True, slots=True)
class QueueSnapshot:
    """The queue at one instant: exactly the ``queue`` payload of docs/protocol.md."""

    ts: float
    stop: str | None
    waiting: int
    by_service: Mapping[str, int] = field(default_factory=dict)
    serving: int = 0
    windows_open: int = 0
    issued_today: int = 0
    served_today: int = 0
    accepting: bool = False

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["by_service"] = dict(self.by_service)
        return d
