"""Headquarters housekeeping: what must go, goes; what is late, is escalated.

Run hourly inside ``ztc hq`` (a thread) and on demand as ``ztc hq housekeeping``: delete callback
numbers whose case closed more than ``hq.contacts.RETENTION_DAYS`` ago, escalate newly overdue
bad-rating cases, purge audit rows past their retention and end expired sessions. Why in the server
as well as a command: nothing a staff member relies on should need a cron job someone forgot to
install. The audit log's own trigger refuses to delete any row younger than 180 days, whatever is
asked here.
"""
from __future__ import annotations

import logging
import threading
from typing import Any

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
    if out["numbers_deleted"] or out["escalated"] or out["audit_purged"]:
        log.info("总部清理 / HQ housekeeping: %s", out)
    return out


def loop(ctx: HqContext, stop: threading.Event) -> None:
    """Every hour until ``stop``; a failure is logged and retried next hour (the server keeps running)."""
    while True:
        try:
            run(ctx, ctx.clock())
        except Exception:  # housekeeping must never take the server down
            log.exception("总部清理失败 / headquarters housekeeping failed; retried in %s s", EVERY_S)
        if stop.wait(EVERY_S):
            return
