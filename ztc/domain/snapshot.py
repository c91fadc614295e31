"""The queue snapshot (``QueueSnapshot``: the ``queue`` payload of docs/protocol.md), from one consistent read."""
from __future__ import annotations

from ztc.domain import visits
from ztc.domain.context import Ctx
from ztc.domain.models import QueueSnapshot
from ztc.domain.numbering import queue_day


def queue_payload(ctx: Ctx) -> QueueSnapshot:
    visit = visits.current(ctx)
    by_service = {r[0]: r[1] for r in ctx.conn.execute(
        "SELECT prefix, COUNT(*) FROM tickets WHERE state = 'waiting' GROUP BY prefix ORDER BY prefix")}
    day = queue_day(ctx)
    issued, served = ctx.conn.execute(
        "SELECT COALESCE(SUM(transferred_from IS NULL), 0), COALESCE(SUM(state = 'served'), 0) "
        "FROM tickets WHERE service_day = ?", (day,)).fetchone()
    return QueueSnapshot(
        ts=ctx.now,
        stop=visit["stop_id"] if visit else None,
        waiting=sum(by_service.values()),
        by_service=by_service,
        serving=ctx.conn.execute("SELECT COUNT(*) FROM tickets WHERE state IN ('called', 'serving')").fetchone()[0],
        windows_open=ctx.conn.execute("SELECT COUNT(*) FROM windows WHERE open = 1 AND paused = 0").fetchone()[0],
        issued_today=issued,
        served_today=served,
        accepting=bool(visit is not None and not visit["closing"]),
    )
