"""Unmet demand (动态调整): every request the bus had to refuse becomes a ``request.refused`` event.

Why an event and not a log line: headquarters adjusts the service list and the route calendar by
"what people came for and could not get", per stop and service, and only the outbox reaches it —
exactly once, also after a dead zone. A refusal is written in its own transaction right after the
refused one rolled back (the refused ticket must leave no trace; the refusal must).
"""
from __future__ import annotations

import uuid
from typing import Any

from ztc.domain import visits
from ztc.domain.context import Ctx

# QueueError codes of engine.issue that are a resident's request turned away at a stop.
REFUSED_CODES = ("not_offered", "closing", "cutoff", "cap_reached")
# …and the device that failed the resident after the number was taken (printer out of paper, unplugged).
REASONS: dict[str, tuple[str, str]] = {
    "not_offered": ("本站不办理", "not offered at this stop"),
    "closing": ("本站即将结束", "the stop was closing"),
    "cutoff": ("已截止取号", "after the cut-off"),
    "cap_reached": ("今日号已发完", "daily cap reached"),
    "print_failed": ("号票未打印（缺纸或故障）", "ticket not printed (paper out or printer fault)"),
}


def record(ctx: Ctx, reason: str, service: str | None, item: str | None = None,
           detail: str | None = None) -> dict[str, Any]:
    """Emit one ``request.refused`` for the open visit (stop and visit id travel with it)."""
    if reason not in REASONS:
        raise ValueError(f"unknown refusal reason: {reason}")
    visit = visits.current(ctx)
    data: dict[str, Any] = {"id": str(uuid.uuid4()), "reason": reason, "service": service, "item": item,
                            "visit_id": visit["id"] if visit else None,
                            "stop": visit["stop_id"] if visit else None,
                            "stop_name": visit["stop_name"] if visit else None}
    if detail:
        data["detail"] = detail[:200]
    ctx.emit("request.refused", data)
    return data
