"""Headquarters housekeeping: what must go, goes; what is late, is escalated.

Run hourly inside ``ztc hq`` (a thread) and on demand as ``ztc hq housekeeping``: delete callback
numbers whose case closed more than ``hq.contacts.RETENTION_DAYS`` ago, escalate newly overdue
bad-rating cases, purge audit rows past their retention, end expired sessions, and keep positions
``hq.position_retention_days`` (``hq.retention``: monthly partitions ahead and old ones dropped on
PostgreSQL, DELETE and incremental vacuum on SQLite). Why in the server
as well as a command: nothing a staff member relies on should need a cron job someone forgot to
install. With several web processes on PostgreSQL one of them runs it at a time (``run_alone``).
The audit log's own trigger refuses to delete any row younger than 180 days, whatever is
asked here.
"""
from __future__ import annotations

import logging
import threading
from typing import Any

from hq import retention
from hq.context import HqContext

log = logging.getLogger(__name__)
EVERY_S = 3600


def run(ctx: HqContext, now: float) -> dict[str, Any]:
    """Every step once; returns what each did (for the log and the command's output)."""
    out = {"numbers_deleted": ctx.cases.purge_contacts(now), "escalated": len(ctx.cases.escalate(now)),
           "audit_purged": max(ctx.audit.purge(now), 0)}
    with ctx.store.transaction() as c:
        out["sessions_ended"] = max(c.execute(ctx.store.sql("DELETE FROM sessions WHERE expires_at < ?"),
                                              (now,)).rowcount, 0)
    out |= retention.run(ctx.store, ctx.settings.position_retention_days, now, ctx.settings.timezone)
    if out["numbers_deleted"] or out["escalated"] or out["audit_purged"] or out["positions_deleted"]:
        log.info("总部清理 / HQ housekeeping: %s", out)
    return out


def loop(ctx: HqContext, stop: threading.Event) -> None:
    """Every hour until ``stop``; a failure is logged and retried next hour (the server keeps running)."""
    while True:
        try:
            ctx.store.run_alone("housekeeping", lambda: run(ctx, ctx.clock()))
        except Exception:  # housekeeping must never take the server down
            log.exception("总部清理失败 / headquarters housekeeping failed; retried in %s s", EVERY_S)
        if stop.wait(EVERY_S):
            return
