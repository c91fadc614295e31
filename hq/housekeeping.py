"""Housekeeping of the headquarters database: audit rows past their retention and expired sessions.

Why in the ``ztc hq`` process as well as ``ztc hq housekeeping``: nothing a staff member relies on
should need a cron job someone forgot to install, so the running server does it once a day itself; the
command is for an operator who wants it now (or runs ``--no-api`` elsewhere). The audit log's own
trigger refuses to delete any row younger than 180 days, whatever is asked here.
"""
from __future__ import annotations

import logging
import threading

from hq.audit import AuditLog
from hq.storage import HqStore

log = logging.getLogger(__name__)

EVERY_S = 86_400


def run(store: HqStore, now: float, audit: AuditLog | None = None) -> dict[str, int]:
    """Every step once; returns what each did (for the log and the command's output)."""
    audit = audit or AuditLog(store)
    purged = audit.purge(now)
    with store.transaction() as c:
        sessions = c.execute(store.sql("DELETE FROM sessions WHERE expires_at < ?"), (now,)).rowcount
    return {"audit_purged": max(purged, 0), "sessions_ended": max(sessions, 0)}


def daily(store: HqStore, audit: AuditLog, clock: object, stop: threading.Event) -> None:
    """The ``ztc hq`` thread: run at start, then every day until ``stop``."""
    while True:
        try:
            done = run(store, clock(), audit)  # type: ignore[operator]
            log.info("总部清理 / HQ housekeeping: %s", done)
        except Exception:  # a failed round is logged and tried again tomorrow; the server keeps running
            log.exception("总部清理失败 / HQ housekeeping failed")
        if stop.wait(EVERY_S):
            return
