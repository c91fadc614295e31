"""Ticket numbers: A001, A002 … per service prefix, restarting each service day.

The service day only ever moves forward: if the wall clock jumps back (a bad RTC, a GPS time fix),
the bus keeps the later day and its counters, so no number is ever handed out twice.
"""
from __future__ import annotations

from ztc.domain.context import Ctx
from ztc.domain.schedule import service_day


def current_day(ctx: Ctx, persist: bool = True) -> str:
    """Today's service day, never earlier than one already used (ISO dates sort as text).

    ``persist`` records a new day (inside a write transaction); readers pass False.
    """
    today = service_day(ctx.settings, ctx.now)
    last = ctx.meta("service_day")
    if last is not None and last >= today:
        return last
    if persist:
        ctx.set_meta("service_day", today)
    return today


def next_number(ctx: Ctx, prefix: str, day: str) -> tuple[int, str]:
    """Take the next number of ``prefix`` for ``day`` inside the caller's write transaction."""
    row = ctx.conn.execute(
        "INSERT INTO counters(service_day, prefix, last) VALUES (?, ?, 1) "
        "ON CONFLICT(service_day, prefix) DO UPDATE SET last = last + 1 RETURNING last",
        (day, prefix),
    ).fetchone()
    n = int(row[0])
    return n, f"{prefix}{n:03d}"


def next_order_key(ctx: Ctx) -> int:
    """A strictly increasing key for queue order that does not depend on the wall clock."""
    key = int(ctx.meta("order_key", "0") or 0) + 1
    ctx.set_meta("order_key", str(key))
    return key
