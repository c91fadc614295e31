"""Home visits (上门服务) on the bus: the day's list for the crew, and serving one without a kiosk.

Headquarters sends a home visit twice: as a planned visit of kind ``home`` in the schedule (the name
is the address, the position the pin) and as an appointment whose stop is that visit's id (masked
name, last four phone digits, the need). The crew opens it from the console: that opens the stop
visit at the address and checks the appointment in, so the ticket is called, served and recorded
like any other; no resident touches a kiosk at someone's bedside.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from ztc.domain import appointments, tickets, visits
from ztc.domain.context import Ctx
from ztc.domain.errors import QueueError
from ztc.domain.models import HomeVisitOpened
from ztc.domain.schedule import PlannedVisit, planned_visits
from ztc.text import Text


def _today(ctx: Ctx) -> list[PlannedVisit]:
    return planned_visits(ctx.conn, ctx.settings, ctx.now, days=1)


def _local(ctx: Ctx, ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, ctx.settings.tz).strftime("%H:%M")


def day_list(ctx: Ctx) -> list[dict[str, Any]]:
    """Today's home visits in time order: address, need, slot, service, code, and how far it got."""
    day = dt.datetime.fromtimestamp(ctx.now, ctx.settings.tz).date()
    out = []
    for v in _today(ctx):
        if v.kind != "home" or dt.datetime.fromtimestamp(v.arrive, ctx.settings.tz).date() != day:
            continue
        for a in ctx.conn.execute("SELECT a.*, t.number, t.state FROM appointments a LEFT JOIN tickets t "
                                  "ON t.id = a.ticket_id WHERE a.stop = ? ORDER BY a.slot_start", (v.stop,)):
            try:
                service = Text.named(ctx.catalog.category(a["prefix"]))
            except QueueError:
                service = Text(a["prefix"], a["prefix"])
            out.append({"appointment_id": a["id"], "code": a["code"], "stop": v.stop, "address": v.name,
                        "lat": v.lat, "lon": v.lon, "slot_start": a["slot_start"], "slot_end": a["slot_end"],
                        "slot": f"{_local(ctx, a['slot_start'])}–{_local(ctx, a['slot_end'])}",
                        "service": a["prefix"], "service_zh": service.zh, "service_en": service.en,
                        "needs": a["needs"], "name_masked": a["name_masked"], "phone_last4": a["phone_last4"],
                        "number": a["number"], "state": a["state"]})
    return out


def open_home_visit(ctx: Ctx, appointment_id: str, source: str) -> HomeVisitOpened:
    """Arrive at the home visit's address and check its appointment in: the ticket waits for a window."""
    appt = ctx.conn.execute("SELECT * FROM appointments WHERE id = ?", (appointment_id,)).fetchone()
    if appt is None:
        raise QueueError("no_appointment", Text("没有这个上门预约", "no such home visit"))
    plan = next((v for v in _today(ctx) if v.stop == appt["stop"] and v.kind == "home"), None)
    if plan is None:
        raise QueueError("not_today",
                         Text("这个上门服务不在今天的行程中", "this home visit is not on today's schedule"))
    visit = visits.current(ctx)
    if visit is None or visit["stop_id"] != plan.stop:
        visits.open_visit(ctx, plan.stop, plan.name, source, plan, adhoc=False)
        visit = visits.current(ctx)
    assert visit is not None
    if appt["ticket_id"] is not None:
        row = ctx.conn.execute("SELECT * FROM tickets WHERE id = ?", (appt["ticket_id"],)).fetchone()
        return HomeVisitOpened(visits.public(visit), tickets.public(ctx, row) if row else None, already=True)
    ticket = appointments.check_in(ctx, visit, appt)
    return HomeVisitOpened(visits.public(visits.current_row(ctx)), ticket, already=False)


def scheduled_stops(ctx: Ctx) -> list[dict[str, Any]]:
    """The stops the crew may arrive at by hand: today's stops from headquarters' schedule first (in
    time order), then the shipped route's stops not already listed. Home visits are listed apart."""
    out, seen = [], set()
    for v in _today(ctx):
        if v.kind == "home" or v.stop in seen:
            continue
        seen.add(v.stop)
        out.append({"id": v.stop, "name_zh": v.name, "name_en": "", "time": f"{_local(ctx, v.arrive)}–"
                    f"{_local(ctx, v.depart)}", "scheduled": True})
    for s in ctx.settings.route.stops:
        if s.id not in seen:
            seen.add(s.id)
            out.append({"id": s.id, "name_zh": s.name_zh, "name_en": s.name_en, "time": "", "scheduled": False})
    return out
