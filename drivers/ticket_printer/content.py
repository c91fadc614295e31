"""What a ticket says, independent of the queue engine's internals and of how it is printed.

The engine hands out a typed ``Ticket``; this module reads its dict form and turns it (plus the
settings, for the service names, bus name, hotline and QR URL) into a small frozen value. Everything below this
point — layout, renderers, the printer — only ever sees a ``TicketContent``.
Privacy: a ticket carries no name, phone or ID number, so none can reach paper or the QR code.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from ztc.settings import Settings
from ztc.text import Text


class HasToDict(Protocol):
    """A read model that gives its wire form (the engine's ``Ticket``): drivers never import the domain."""

    def to_dict(self) -> dict[str, Any]: ...


HINT = Text("请留意叫号", "Please listen for your number")
HINT_ZH, HINT_EN = HINT.zh, HINT.en   # printed on two lines, the Chinese larger


@dataclass(frozen=True)
class TicketContent:
    ticket_id: str
    number: str                 # "A001"
    bus_name_zh: str
    bus_name_en: str
    service_zh: str             # the category (事项类别)
    service_en: str
    item_zh: str | None         # the chosen item, when the resident picked one
    item_en: str | None
    priority: bool              # 绿色通道
    appointment: bool           # checked-in appointment (预约)
    ahead: int
    est_wait_min: int           # rounded up; 0 when nobody waits
    stop_name: str
    issued_at: datetime         # in the bus's time zone
    qr_url: str                 # settings.bus.ticket_url with the ticket id (+ #k=rating secret)
    hotline: str
    copy: bool = False          # a reprint: marked 副本 / COPY

    @classmethod
    def from_ticket(cls, ticket: Mapping[str, Any] | HasToDict, settings: Settings,
                    copy: bool | None = None) -> TicketContent:
        """Build from an engine ticket (``ztc.domain.models.Ticket``, read through its ``to_dict()``,
        or its dict form). ``copy`` defaults to "was it printed before"."""
        if not isinstance(ticket, Mapping):
            ticket = ticket.to_dict()
        prefix = str(ticket.get("prefix") or str(ticket["number"])[:1])
        try:
            category = settings.category(prefix)
            service_zh, service_en = category.name_zh, category.name_en
            item = next((i for i in category.items if i.code == ticket.get("item")), None)
        except KeyError:
            service_zh, service_en, item = prefix, prefix, None
        est = float(ticket.get("est_wait_s") or 0.0)
        if copy is None:
            copy = int(ticket.get("printed") or 0) > 0
        return cls(
            ticket_id=str(ticket["id"]),
            number=str(ticket["number"]),
            bus_name_zh=settings.bus.name_zh,
            bus_name_en=settings.bus.name_en,
            service_zh=service_zh,
            service_en=service_en,
            item_zh=item.name_zh if item else None,
            item_en=item.name_en if item else None,
            priority=bool(ticket.get("priority")),
            appointment=bool(ticket.get("appointment_id")),
            ahead=int(ticket.get("ahead") or 0),
            est_wait_min=max(0, math.ceil(est / 60.0)),
            stop_name=str(ticket.get("stop_name") or ""),
            issued_at=datetime.fromtimestamp(float(ticket["issued_at"]), settings.tz),
            qr_url=ticket_qr_url(settings.bus.ticket_url, str(ticket["id"]), ticket.get("rate_token")),
            hotline=settings.bus.hotline,
            copy=bool(copy),
        )

    @classmethod
    def sample(cls, settings: Settings, number: str = "A001", now: float | None = None) -> TicketContent:
        """A realistic ticket for ``ztc devices test-print ticket`` and the benchmarks."""
        import time

        stop = settings.route.stops[0] if settings.route.stops else None
        ticket = {"id": "00000000-0000-4000-8000-000000000001", "number": number, "prefix": number[:1],
                  "item": settings.category(number[:1]).items[0].code if _has(settings, number[:1]) else None,
                  "priority": False, "appointment_id": None, "issued_at": now or time.time(), "ahead": 3,
                  "est_wait_s": 900.0, "stop_name": stop.name_zh if stop else ""}
        return cls.from_ticket(ticket, settings, copy=False)


def ticket_qr_url(template: str, ticket_id: str, rate_token: str | None) -> str:
    """The ticket page's address; the rating secret rides in the fragment (``#k=``), which a browser
    never sends to the server, so it stays out of access logs and referrers."""
    url = template.format(ticket_id=ticket_id)
    return f"{url}#k={rate_token}" if rate_token else url


def _has(settings: Settings, prefix: str) -> bool:
    return any(c.code == prefix for c in settings.services)
