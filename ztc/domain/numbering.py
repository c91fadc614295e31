"""Ticket numbers: A001, A002 … per service prefix, restarting each service day.

The service day only ever moves forward: if the wall clock jumps back (a bad RTC, a GPS time fix),
the bus keeps the later day and its counters, so no number is ever handed out twice.

Numbering follows the visit that is open: a ticket's service day is the day its stop visit opened
(``visits.service_day``), so an evening session (错时服务) that runs past midnight keeps counting
A031, A032 …, and the first visit opened on the new day starts again at A001. A visit only closes
when none of its tickets is waiting any more, so two residents waiting at once never hold the same
number; ``next_number`` also skips a number still held by an open ticket, whatever its day.
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


def queue_day(ctx: Ctx) -> str:
    """The service day the queue is counting in: the open visit's, else today's (read only).

    Screens, the queue report and look-ups by number use this, so after midnight in an evening
    session they still show the session's tickets, not an empty new day.
    """
    row = ctx.conn.execute("SELECT service_day FROM visits WHERE closed_at IS NULL "
                           "ORDER BY opened_at DESC").fetchone()
    return str(row[0]) if row is not None else current_day(ctx, persist=False)


def next_number(ctx: Ctx, prefix: str, day: str) -> tuple[int, str]:
    """Take the next number of ``prefix`` for ``day`` inside the caller's write transaction.

    A number an open ticket (waiting, called, serving) already holds is skipped, whichever day that
    ticket belongs to, so the number a resident holds is never called for someone else.
    """
    while True:
        row = ctx.conn.execute(
            "INSERT INTO counters(service_day, prefix, last) VALUES (?, ?, 1) "
            "ON CONFLICT(service_day, prefix) DO UPDATE SET last = last + 1 RETURNING last",
            (day, prefix),
        ).fetchone()
        n = int(row[0])
        number = f"{prefix}{n:03d}"
        held = ctx.conn.execute("SELECT 1 FROM tickets WHERE number = ? AND state IN ('waiting', 'called', "
                                "'serving')", (number,)).fetchone()
        if held is None:
            return n, number


def next_order_key(ctx: Ctx) -> int:
    """A strictly increasing key for queue order that does not depend on the wall clock."""
    key = int(ctx.meta("order_key", "0") or 0) + 1
    ctx.set_meta("order_key", str(key))
    return key
