"""The read model the screens draw from: one consistent read of the bus database.

Why a separate read: the poller owns its own SQLite connection, so ``PRAGMA data_version`` changes
on every commit by *any* writer (this role's engine included, other roles, the CLI, the agent), and
screens never query the database themselves. Read-only SQL lives here; every change still goes
through the QueueEngine.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from contract.catalog import ServiceCategory
from ztc.domain.context import Ctx
from ztc.domain.engine import QueueEngine
from ztc.domain.estimate import Estimate, estimate
from ztc.domain.models import QueueSnapshot, Ticket, Visit, Window
from ztc.domain.numbering import queue_day
from ztc.domain.schedule import PlannedVisit
from ztc.text import Text

ANNOUNCEMENT_KEY = "announcement"  # meta key the agent writes (telemetry/downlink.py)


@dataclass(frozen=True, slots=True)
class RecentCall:
    """A ticket called today, as the display lists it."""

    id: str
    number: str
    prefix: str
    window: int | None
    called_at: float
    calls: int
    state: str


@dataclass(frozen=True, slots=True)
class DaySummary:
    """The crew's day figures for the queue day."""

    issued: int = 0
    served: int = 0
    no_show: int = 0
    avg_wait_min: float = 0.0
    ratings: int = 0
    rating_avg: float | None = None


@dataclass(frozen=True, slots=True)
class Announcement:
    """Headquarters' notice for the waiting area (``cmd announce``, stored by the agent)."""

    text: Text
    until: float | None = None


@dataclass(frozen=True)
class BusState:
    """What every role shows; built off the UI thread, handed over whole."""

    ts: float
    visit: Visit | None
    planned: list[PlannedVisit]                # later visits today and the next days
    snapshot: QueueSnapshot                    # the queue payload of docs/protocol.md
    windows: list[Window]
    active: list[Ticket]                       # waiting / called / serving tickets in order
    recent_calls: list[RecentCall]             # newest first
    estimates: dict[str, Estimate] = field(default_factory=dict)  # per offered service
    summary: DaySummary = DaySummary()
    categories: tuple[ServiceCategory, ...] = ()  # the catalog in force
    announcement: Announcement | None = None

    def offered(self) -> list[str]:
        return list(self.visit.services) if self.visit else []


def read_state(engine: QueueEngine) -> BusState:
    """Everything the screens need in one pass (each engine read is its own snapshot)."""
    now = engine.clock()
    visit = engine.current_visit()
    planned = [v for v in engine.planned() if v.depart > now and not (visit and v.stop == visit.stop_id
                                                                      and v.arrive <= now)]
    with engine.db.read() as conn:
        ctx = Ctx(conn, engine.settings, now)
        day = queue_day(ctx)
        recent = [RecentCall(**dict(r)) for r in conn.execute(
            "SELECT id, number, prefix, window, called_at, calls, state FROM tickets "
            "WHERE called_at IS NOT NULL AND service_day = ? ORDER BY called_at DESC LIMIT 8", (day,))]
        offered = list(visit.services) if visit else []
        estimates = {p: estimate(ctx, p) for p in offered}
        summary = _summary(conn, day)
        categories = ctx.catalog.categories
        announcement = _announcement(ctx.meta(ANNOUNCEMENT_KEY), now)
    return BusState(ts=now, visit=visit, planned=planned[:4], snapshot=engine.snapshot(), windows=engine.windows(),
                    active=engine.waiting(), recent_calls=recent, estimates=estimates, summary=summary,
                    categories=categories, announcement=announcement)


def _announcement(raw: str | None, now: float) -> Announcement | None:
    """The agent's stored announcement while it is current; garbage is ignored, not fatal."""
    try:
        value = json.loads(raw) if raw else None
        if not isinstance(value, dict) or not value.get("text_zh"):
            return None
        until = None if value.get("until") is None else float(value["until"])
    except (ValueError, TypeError):
        return None
    if until is not None and until <= now:
        return None
    return Announcement(Text(str(value["text_zh"]), str(value.get("text_en") or "")), until)


def _summary(conn: Any, day: str) -> DaySummary:
    row = conn.execute(
        "SELECT COALESCE(SUM(transferred_from IS NULL), 0), COALESCE(SUM(state = 'served'), 0), "
        "COALESCE(SUM(state = 'no_show'), 0), AVG(CASE WHEN called_at IS NOT NULL THEN called_at - issued_at END) "
        "FROM tickets WHERE service_day = ?", (day,)).fetchone()
    rating = conn.execute(
        "SELECT COUNT(*), AVG(r.level) FROM ratings r JOIN tickets t ON t.id = r.ticket_id WHERE t.service_day = ?",
        (day,)).fetchone()
    return DaySummary(issued=row[0], served=row[1], no_show=row[2], avg_wait_min=round((row[3] or 0) / 60, 1),
                      ratings=rating[0], rating_avg=round(rating[1], 1) if rating[1] is not None else None)
