"""Print requests to the device's owner (table ``print_requests``, migration 5).

Why requests and not a second printer: only the resident role opens the ticket printer (one owner
per device, ARCHITECTURE.md). The crew console's test print, reprint and cut-off override ticket,
and ``ztc devices test-print``, write a request; the owner claims it on a worker, prints, and marks
it done or failed with the reason; the requester watches the row.

Expiry (what we chose): a request is printed only if the owner claims it within ``EXPIRE_S`` (60 s,
boot clock) of being made in this boot; a requester that gives up earlier (``ANSWER_S`` with no
claim: the resident kiosk is not answering) marks it expired itself. An expired request is never
printed: a surprise ticket hours later, when the resident kiosk comes back, is worse than none.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from ztc import wallclock
from ztc.db.database import Database

Kind = Literal["test", "reprint", "override"]
EXPIRE_S = 60.0   # never printed if not claimed by then
ANSWER_S = 15.0   # a requester waits this long for the owner to claim it before saying "not answering"
DONE_S = 60.0     # … and this long for a claimed request to finish (a print job's own limit is 30 s)
FINAL = ("done", "failed", "expired")

EXPIRED_DETAIL = "前台未应答，未打印 / resident kiosk not answering; not printed"
INTERRUPTED_DETAIL = "前台重启，打印结果未知 / resident kiosk restarted during the print; outcome unknown"
LATE_DETAIL = "请求已过期，未打印 / request expired before the resident kiosk took it; not printed"


@dataclass(frozen=True)
class PrintRequest:
    id: int
    kind: str
    ticket_id: str | None
    requested_by: str
    requested_at: float
    state: str
    detail: str
    done_at: float | None

    @property
    def final(self) -> bool:
        return self.state in FINAL


def _row(row: Any) -> PrintRequest:
    return PrintRequest(row["id"], row["kind"], row["ticket_id"], row["requested_by"], row["requested_at"],
                        row["state"], row["detail"], row["done_at"])


def request(db: Database, kind: Kind, ticket_id: str | None = None, requested_by: str = "") -> int:
    """Ask the owner to print; returns the request's id."""
    with db.write() as conn:
        cur = conn.execute("INSERT INTO print_requests(kind, ticket_id, requested_by, requested_at, boot, uptime_s) "
                           "VALUES (?, ?, ?, ?, ?, ?)",
                           (kind, ticket_id, requested_by, time.time(), wallclock.boot_id(), wallclock.uptime()))
        return int(cur.lastrowid or 0)


def get(db: Database, request_id: int) -> PrintRequest | None:
    with db.read() as conn:
        row = conn.execute("SELECT * FROM print_requests WHERE id = ?", (request_id,)).fetchone()
    return _row(row) if row else None


def expire_old(conn: Any, boot: str, uptime: float) -> int:
    """Inside a write: every pending request older than ``EXPIRE_S`` (or from an earlier boot) → expired."""
    cur = conn.execute("UPDATE print_requests SET state = 'expired', detail = ?, done_at = ? "
                       "WHERE state = 'pending' AND (boot != ? OR ? - uptime_s > ?)",
                       (LATE_DETAIL, time.time(), boot, uptime, EXPIRE_S))
    return int(cur.rowcount)


def claim(db: Database, boot: str | None = None, uptime: float | None = None) -> PrintRequest | None:
    """The owner's side: the oldest fresh pending request, now ``printing``; stale ones expire first."""
    boot = boot or wallclock.boot_id()
    uptime = wallclock.uptime() if uptime is None else uptime
    with db.read() as conn:   # the cheap check first: a write transaction only when there is work
        if conn.execute("SELECT 1 FROM print_requests WHERE state = 'pending' LIMIT 1").fetchone() is None:
            return None
    with db.write() as conn:
        expire_old(conn, boot, uptime)
        row = conn.execute("SELECT * FROM print_requests WHERE state = 'pending' ORDER BY id LIMIT 1").fetchone()
        if row is None:
            return None
        conn.execute("UPDATE print_requests SET state = 'printing' WHERE id = ?", (row["id"],))
    return _row({**dict(row), "state": "printing"})


def finish(db: Database, request_id: int, ok: bool, detail: str) -> None:
    """The owner's side: the print is done (``detail``: what was printed) or failed (the reason)."""
    with db.write() as conn:
        conn.execute("UPDATE print_requests SET state = ?, detail = ?, done_at = ? WHERE id = ? AND state = 'printing'",
                     ("done" if ok else "failed", detail, time.time(), request_id))


def fail_interrupted(db: Database) -> int:
    """The owner starting: requests its previous run claimed but never finished are failed, not retried
    (the ticket may or may not have come out; the crew decide whether to ask again)."""
    with db.write() as conn:
        return conn.execute("UPDATE print_requests SET state = 'failed', detail = ?, done_at = ? "
                            "WHERE state = 'printing'", (INTERRUPTED_DETAIL, time.time())).rowcount


KEEP_S = 7 * 86400   # finished requests are kept this long (what the crew asked for this week), then deleted


def purge(db: Database, now: float | None = None) -> int:
    """Delete finished requests older than ``KEEP_S`` (the owner does it at start): the table stays small."""
    now = time.time() if now is None else now
    with db.write() as conn:
        return conn.execute("DELETE FROM print_requests WHERE state IN ('done', 'failed', 'expired') "
                            "AND requested_at < ?", (now - KEEP_S,)).rowcount


def give_up(db: Database, request_id: int) -> bool:
    """The requester's side: stop waiting; True when the request was still pending (it is now expired
    and will never print), False when the owner had already claimed or finished it."""
    with db.write() as conn:
        cur = conn.execute("UPDATE print_requests SET state = 'expired', detail = ?, done_at = ? "
                           "WHERE id = ? AND state = 'pending'", (EXPIRED_DETAIL, time.time(), request_id))
        return cur.rowcount == 1


def wait(db: Database, request_id: int, on_state: Callable[[PrintRequest], None] | None = None,
         answer_s: float | None = None, done_s: float | None = None, poll_s: float = 0.2) -> PrintRequest:
    """The requester's side, on a worker: wait for the outcome; ``on_state`` hears every change.

    Not claimed within ``answer_s``: the request is expired here (the owner is not answering); claimed
    but not finished within ``done_s``: returned as it stands (``printing``)."""
    answer_s = ANSWER_S if answer_s is None else answer_s
    done_s = DONE_S if done_s is None else done_s
    start = time.monotonic()
    seen = ""
    while True:
        req = get(db, request_id)
        if req is None:
            raise LookupError(f"print request {request_id} not found")
        if req.state != seen:
            seen = req.state
            if on_state is not None:
                on_state(req)
        if req.final:
            return req
        waited = time.monotonic() - start
        if req.state == "pending" and waited >= answer_s and give_up(db, request_id):
            continue   # re-read: expired now (or claimed at the last moment)
        if req.state == "printing" and waited >= answer_s + done_s:
            return req
        time.sleep(poll_s)
