"""Headquarters housekeeping: what must go, goes; what is late, is escalated.

Run hourly inside ``ztc hq`` (a thread) and on demand as ``ztc hq housekeeping`` (cron or a timer
may call it too): delete callback numbers whose case closed more than ``hq.contacts.RETENTION_DAYS``
ago, escalate newly overdue bad-rating cases, and purge audit rows past their retention.
"""
from __future__ import annotations

import logging
import threading
from typing import Any

from hq.context import HqContext

log = logging.getLogger(__name__)
EVERY_S = 3600


def run(ctx: HqContext, now: float) -> dict[str, Any]:
    out = {"numbers_deleted": ctx.cases.purge_contacts(now), "escalated": len(ctx.cases.escalate(now)),
           "audit_purged": ctx.audit.purge(now)}
    if out["numbers_deleted"] or out["escalated"]:
        log.info("housekeeping: %s", out)
    return out


def loop(ctx: HqContext, stop: threading.Event) -> None:
    """Every hour until ``stop``; a failure is logged and retried next hour (the server keeps running)."""
    while True:
        try:
            run(ctx, ctx.clock())
        except Exception:  # housekeeping must never take the server down
            log.exception("headquarters housekeeping failed; retried in %s s", EVERY_S)
        if stop.wait(EVERY_S):
            return
