"""Stop visits: a visit opens when the bus arrives at a stop and closes when it leaves.

Every ticket belongs to a visit. Leaving with people still waiting needs a decision per ticket or in
bulk — serve them first, release them as not served, or rebook them as an appointment at a later
visit that offers their service — so nobody's number silently disappears.
"""
from __future__ import annotations

import datetime as dt
import sqlite3
import uuid
from typing import Any, overload

from ztc.domain import appointments, tickets
from ztc.domain.context import Ctx, dumps, loads
from ztc.domain.errors import QueueError
from ztc.domain.models import Departure, Visit
from ztc.domain.numbering import current_day
from ztc.domain.schedule import PlannedVisit, planned_visits
from ztc.text import Text

DECISIONS = ("serve", "release", "rebook")


def current(ctx: Ctx) -> sqlite3.Row | None:
    row: sqlite3.Row | None = ctx.conn.execute(
        "SELECT * FROM visits WHERE closed_at IS NULL ORDER BY opened_at DESC").fetchone()
    return row


def current_row(ctx: Ctx) -> sqlite3.Row:
    """The open visit, just written by the caller's transaction (so it exists)."""
    row = current(ctx)
    assert row is not None, "the caller opened or kept this visit in the same transaction"
    return row


@overload
def public(row: sqlite3.Row) -> Visit: ...


@overload
def public(row: None) -> None: ...


def public(row: sqlite3.Row | None) -> Visit | None:
    return None if row is None else Visit.from_row(row, loads(row["services"]))


PLAN_EARLY_S = 2 * 3600  # an arrival this long before a planned visit still counts as that visit
PLAN_LATE_S = 3600       # … and this long after its planned departure


def _plan_for(ctx: Ctx, stop_id: str) -> PlannedVisit | None:
    """The planned visit of this stop that now falls into (a stop may be visited twice a day).

    Passing the depot in the morning is not the 17:00 visit there: outside every planned window the
    arrival opens an unplanned visit (no cut-off), rather than one that is reported hours early.
    """
    today = [v for v in planned_visits(ctx.conn, ctx.settings, ctx.now, days=1) if v.stop == stop_id
             and v.arrive - PLAN_EARLY_S <= ctx.now <= v.depart + PLAN_LATE_S]
    return min(today, key=lambda v: abs(v.arrive - ctx.now), default=None)


def open_visit(ctx: Ctx, stop_id: str, name: str, source: str, plan: PlannedVisit | None,
               adhoc: bool) -> Visit:
    existing = current(ctx)
    if existing is not None:
        if existing["stop_id"] == stop_id:
            return public(existing)  # arriving twice (GPS jitter, crew and GPS both) is one visit
        raise QueueError("visit_open", Text(f"仍在 {existing['stop_name']} 服务中，请先结束该站",
                                            f"still serving at {existing['stop_name']}; depart first"),
                         stop=existing["stop_id"])
    services = list(plan.services) if plan else ctx.catalog.prefixes
    visit_id = str(uuid.uuid4())
    ctx.conn.execute(
        "INSERT INTO visits(id, stop_id, stop_name, service_day, opened_at, opened_by, planned_arrive, "
        "planned_depart, services, theme, adhoc) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        (visit_id, stop_id, name, current_day(ctx), ctx.now, source, plan.arrive if plan else None,
         plan.depart if plan else None, dumps(services), plan.theme if plan else None, int(adhoc)),
    )
    ctx.emit("stop.arrived", {
        "visit_id": visit_id, "stop": stop_id, "name": name, "source": source, "adhoc": adhoc,
        "planned_arrive": plan.arrive if plan else None, "planned_depart": plan.depart if plan else None,
        "late_s": round(ctx.now - plan.arrive, 1) if plan else None, "services": services,
    })
    return public(current_row(ctx))


def arrive(ctx: Ctx, stop_id: str, source: str) -> Visit:
    stop = ctx.settings.stop(stop_id)
    plan = _plan_for(ctx, stop_id)
    if stop is None and plan is None:
        # A stop headquarters scheduled today, reached outside its planned window: an unplanned visit there.
        known = next((v for v in planned_visits(ctx.conn, ctx.settings, ctx.now, days=1) if v.stop == stop_id), None)
        if known is None:
            raise QueueError("unknown_stop", Text(f"没有这个站点：{stop_id}", f"unknown stop: {stop_id}"))
        return open_visit(ctx, stop_id, known.name, source, None, adhoc=True)
    if plan is not None:
        name = plan.name
    else:
        assert stop is not None  # neither stop nor plan returned above
        name = stop.name.zh
    return open_visit(ctx, stop_id, name, source, plan, adhoc=plan is None)


def arrive_adhoc(ctx: Ctx, name: str, source: str) -> Visit:
    """预约即开: serve where no visit is scheduled; every service is offered, no planned departure."""
    if not name.strip():
        raise QueueError("no_name", Text("请给临时服务点起个名字", "an on-demand stop needs a name"))
    return open_visit(ctx, f"adhoc-{uuid.uuid4().hex[:8]}", name.strip(), source, None, adhoc=True)


def later_offering(ctx: Ctx, prefix: str, after: float, limit: int = 3) -> list[dict[str, Any]]:
    """Planned visits after ``after`` that offer ``prefix``, for 'come back then' advice."""
    visits = [v for v in planned_visits(ctx.conn, ctx.settings, ctx.now) if v.arrive > after and prefix in v.services]
    def local(ts: float) -> str:
        return dt.datetime.fromtimestamp(ts, ctx.settings.tz).strftime("%m-%d %H:%M")

    return [{"stop": v.stop, "name": v.name, "arrive": v.arrive, "depart": v.depart, "arrive_local": local(v.arrive)}
            for v in visits[:limit]]


def mark_closing(ctx: Ctx, visit: sqlite3.Row) -> None:
    ctx.conn.execute("UPDATE visits SET closing = 1 WHERE id = ?", (visit["id"],))


def stay(ctx: Ctx) -> Visit:
    """Undo a departure that was asked for but not finished (the bus was only moved): take tickets again."""
    visit = current(ctx)
    if visit is None:
        raise QueueError("no_visit", Text("当前没有开放的站点", "no stop visit is open"))
    ctx.conn.execute("UPDATE visits SET closing = 0 WHERE id = ?", (visit["id"],))
    return public(current_row(ctx))


def pending(ctx: Ctx, visit: sqlite3.Row) -> list[sqlite3.Row]:
    return ctx.conn.execute(
        "SELECT * FROM tickets WHERE visit_id = ? AND state IN ('waiting', 'called', 'serving') ORDER BY order_key",
        (visit["id"],),
    ).fetchall()


def depart(ctx: Ctx, source: str, decision: str | dict[str, str] | None) -> Departure:
    """Apply the decisions for tickets still open, and close the visit when none remain.

    Raises QueueError("pending_tickets") when tickets remain and no decision covers them; the caller
    commits ``mark_closing`` first so no new tickets are taken meanwhile.
    """
    visit = current(ctx)
    if visit is None:
        raise QueueError("no_visit", Text("当前没有开放的站点", "no stop visit is open"))
    rows = pending(ctx, visit)
    per_ticket = decision if isinstance(decision, dict) else {r["id"]: decision for r in rows if decision}
    for key, value in per_ticket.items():
        if value not in DECISIONS:
            raise QueueError("bad_decision", Text(f"无效的处理方式：{value}", f"unknown decision: {value}"),
                             choices=list(DECISIONS), ticket=key)
    counts = {"released": 0, "rebooked": 0}
    by_number = {r["number"]: r for r in rows}
    remaining = []
    for row in rows:
        choice = per_ticket.get(row["id"]) or per_ticket.get(row["number"])
        if row["state"] == "serving" or choice in (None, "serve"):
            remaining.append(row)
        elif choice == "release":
            tickets.end(ctx, row, "released", "ticket.released", ("waiting", "called"))
            counts["released"] += 1
        else:
            appt = appointments.rebook(ctx, row, visit)
            tickets.end(ctx, row, "rebooked", "ticket.rebooked", ("waiting", "called"),
                        {"appointment_id": appt["id"], "code": appt["code"], "stop": appt["stop"],
                         "slot_start": appt["slot_start"]})
            counts["rebooked"] += 1
    unknown = [k for k in per_ticket if k not in by_number and k not in {r["id"] for r in rows}]
    if unknown:
        raise QueueError("unknown_ticket", Text(f"这些票不在本站等候：{unknown}", f"not open at this stop: {unknown}"))
    if remaining:
        mark_closing(ctx, visit)
        return Departure(False, public(current(ctx)), tuple(r["number"] for r in remaining), **counts)
    ctx.conn.execute("UPDATE visits SET closed_at = ?, closed_by = ?, closing = 0 WHERE id = ?",
                     (ctx.now, source, visit["id"]))
    late = round(ctx.now - visit["planned_depart"], 1) if visit["planned_depart"] else None
    ctx.emit("stop.departed", {"visit_id": visit["id"], "stop": visit["stop_id"], "source": source,
                               "late_s": late, **counts})
    return Departure(True, public(ctx.conn.execute("SELECT * FROM visits WHERE id = ?", (visit["id"],)).fetchone()),
                     (), **counts)
