"""The day's figures (跟踪问效) from stored events: per bus, per stop, per service, per hour.

Computed from the events themselves, not from counters kept beside them, so a figure can never
disagree with the record it summarises and a late upload (a bus back from a dead zone) is counted
as soon as it is stored. Times are grouped by the county's calendar day (``hq.timezone``).

A ticket counts on the day it was issued in that zone (README "Time on the bus"): its outcome
(served, no-show, cancelled, rating) goes with it, so the A031 an evening session issued at 23:50
and served at 00:10 is one ticket served on the evening's day, not an issue without outcome on one
day and an outcome without issue on the next (in ``by_hour`` it counts in the day's last hour).
"""
from __future__ import annotations

import json
import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hq.storage import HqStore

TYPES = ("ticket.issued", "ticket.served", "ticket.no_show", "ticket.cancelled", "rating", "stop.arrived")
OUTCOMES = ("ticket.served", "ticket.no_show", "ticket.cancelled", "rating")
CARRY_S = 2 * 86400  # how long after its day an outcome is still looked for (a session past midnight)


def day_bounds(day: date, tz: ZoneInfo) -> tuple[float, float]:
    """[start, end) of a local calendar day as Unix seconds (23 or 25 hours where DST exists)."""
    start = datetime.combine(day, time(0), tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tz)
    return start.timestamp(), end.timestamp()


def percentile(values: list[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default): p90 of [1..10] is 9.1."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


@dataclass
class Figures:
    """What staff compare across days, buses, stops and services."""

    tickets: int = 0
    served: int = 0
    no_shows: int = 0
    cancelled: int = 0
    waits: list[float] = field(default_factory=list)
    services: list[float] = field(default_factory=list)
    levels: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        by_level = {str(n): self.levels.count(n) for n in range(1, 6)}
        return {
            "tickets": self.tickets, "served": self.served, "no_shows": self.no_shows, "cancelled": self.cancelled,
            "wait_median_s": _round(percentile(self.waits, 0.5)), "wait_p90_s": _round(percentile(self.waits, 0.9)),
            "service_median_s": _round(percentile(self.services, 0.5)),
            "service_mean_s": _round(sum(self.services) / len(self.services)) if self.services else None,
            "ratings": {"count": len(self.levels), "by_level": by_level,
                        "mean": _round(sum(self.levels) / len(self.levels), 2) if self.levels else None,
                        "bad": sum(1 for lv in self.levels if lv <= 2)},
        }


def _round(v: float | None, digits: int = 1) -> float | None:
    return None if v is None else round(v, digits)


@dataclass
class BusDay:
    totals: Figures = field(default_factory=Figures)
    by_stop: dict[str, Figures] = field(default_factory=lambda: defaultdict(Figures))
    by_service: dict[str, Figures] = field(default_factory=lambda: defaultdict(Figures))
    by_hour: dict[int, Figures] = field(default_factory=lambda: defaultdict(Figures))
    stop_names: dict[str, str] = field(default_factory=dict)
    arrivals: list[dict[str, Any]] = field(default_factory=list)


def day_stats(store: HqStore, day: date, tz: ZoneInfo, bus: str | None = None) -> dict[str, Any]:
    """The figures of one day for every bus (or one), grouped by stop, service and hour."""
    start, end = day_bounds(day, tz)
    marks = ",".join("?" * len(TYPES))
    where, args = f"type IN ({marks}) AND ts >= ? AND ts < ?", [*TYPES, start, end]
    if bus is not None:
        where += " AND bus = ?"
        args.append(bus)
    rows = _on_issue_day(store, store.query(f"SELECT bus, type, ts, data FROM events WHERE {where} ORDER BY ts",
                                            tuple(args)), start, end, bus)
    days: dict[str, BusDay] = defaultdict(BusDay)
    ticket_stop: dict[tuple[str, str], str] = {}
    visit_stop: dict[tuple[str, str], str] = {}
    fleet = Figures()
    for r in rows:
        d: dict[str, Any] = json.loads(r["data"])
        b = days[r["bus"]]
        kind = r["type"]
        if kind == "stop.arrived":
            stop = str(d.get("stop") or "")
            visit_stop[(r["bus"], str(d.get("visit_id")))] = stop
            b.stop_names[stop] = str(d.get("name") or stop)
            b.arrivals.append({"stop": stop, "name": b.stop_names[stop], "ts": r["ts"],
                               "planned_arrive": d.get("planned_arrive"), "late_s": d.get("late_s")})
            continue
        tid = str(d.get("ticket_id") or "")
        if kind == "ticket.issued" and d.get("stop"):
            ticket_stop[(r["bus"], tid)] = str(d["stop"])
        stop = ticket_stop.get((r["bus"], tid)) or visit_stop.get((r["bus"], str(d.get("visit_id")))) or "-"
        hour = datetime.fromtimestamp(min(r["ts"], end - 1), tz).hour
        groups = (fleet, b.totals, b.by_stop[stop], b.by_service[str(d.get("service") or "-")], b.by_hour[hour])
        for f in groups:
            _count(f, kind, d)
    out = []
    for bus_id in sorted(days):
        b = days[bus_id]
        out.append({
            "bus": bus_id, "totals": b.totals.as_dict(),
            "by_stop": [{"stop": s, "name": b.stop_names.get(s, s), **f.as_dict()}
                        for s, f in sorted(b.by_stop.items())],
            "by_service": [{"service": s, **f.as_dict()} for s, f in sorted(b.by_service.items())],
            "by_hour": [{"hour": h, "tickets": f.tickets, "served": f.served, "no_shows": f.no_shows}
                        for h, f in sorted(b.by_hour.items())],
            "arrivals": b.arrivals,
        })
    return {"date": day.isoformat(), "timezone": str(tz), "fleet": fleet.as_dict(), "buses": out}


def _tid(row: Any) -> tuple[str, str]:
    return str(row["bus"]), str(json.loads(row["data"]).get("ticket_id") or "")


def _on_issue_day(store: HqStore, rows: list[Any], start: float, end: float, bus: str | None) -> list[Any]:
    """The day's rows with each ticket's outcome moved to the day the ticket was issued.

    Drops outcomes of tickets issued before ``start``; adds outcomes up to ``CARRY_S`` after ``end`` of
    tickets issued in [start, end). An outcome whose issue was never stored stays on its own day.
    """
    issued = {_tid(r) for r in rows if r["type"] == "ticket.issued"}
    orphans = sorted({_tid(r)[1] for r in rows if r["type"] in OUTCOMES and _tid(r) not in issued} - {""})
    earlier: set[tuple[str, str]] = set()
    for i in range(0, len(orphans), 500):
        chunk = orphans[i:i + 500]
        earlier |= {_tid(r) for r in store.query(
            "SELECT bus, data FROM events WHERE type = 'ticket.issued' AND ts < ? AND "
            f"{store.json_text('data', 'ticket_id')} IN ({','.join('?' * len(chunk))})", (start, *chunk))}
    marks = ",".join("?" * len(OUTCOMES))
    later = store.query(f"SELECT bus, type, ts, data FROM events WHERE type IN ({marks}) AND ts >= ? AND ts < ?"
                        + (" AND bus = ?" if bus is not None else "") + " ORDER BY ts",
                        (*OUTCOMES, end, end + CARRY_S, *([bus] if bus is not None else [])))
    kept = [r for r in rows if not (r["type"] in OUTCOMES and _tid(r) in earlier)]
    return kept + [r for r in later if _tid(r) in issued]


def _count(f: Figures, kind: str, d: dict[str, Any]) -> None:
    if kind == "ticket.issued":
        f.tickets += 1
    elif kind == "ticket.served":
        f.served += 1
        if isinstance(d.get("wait_s"), int | float):
            f.waits.append(float(d["wait_s"]))
        if isinstance(d.get("service_s"), int | float):
            f.services.append(float(d["service_s"]))
    elif kind == "ticket.no_show":
        f.no_shows += 1
    elif kind == "ticket.cancelled":
        f.cancelled += 1
    elif kind == "rating" and isinstance(d.get("level"), int) and 1 <= d["level"] <= 5:
        f.levels.append(d["level"])
