"""Regular reports (定期通报): weekly and monthly figures per bus and for the county.

Every figure is computed from the stored events (and the follow-up tables built from them) for the
period's calendar days in the county's time zone, like the day's figures (``hq.stats``), so a report
can always be re-made and checked against the record. Planned sessions come from the route calendar
(``hq.route_calendar``): lateness and missed sessions are measured against what was planned.
"""
from __future__ import annotations

import json
from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hq.accepted import AcceptedCases
from hq.cases import Cases
from hq.demand import demand
from hq.route_calendar import RouteCalendar
from hq.stats import day_bounds, percentile
from hq.storage import HqStore
from ztc.domain.vocabulary import OUTCOMES

KINDS = {"week": ("周报", "weekly"), "month": ("月报", "monthly")}
LATE_AFTER_S = 300   # an arrival more than 5 minutes after the planned time counts as late
HOME_STOP_PREFIX = "home-"  # 上门服务: the booking desk's home visits are stops named home-<booking>
GOOD_LEVELS = (4, 5)  # 好评: 非常满意, 满意; 差评: 不满意, 非常不满意 (≤ 2)


def period(kind: str, anchor: date) -> tuple[date, date, str]:
    """The week (Monday–Sunday, ISO) or month that contains ``anchor``: first, last day and label."""
    if kind == "week":
        first = anchor - timedelta(days=anchor.weekday())
        iso = first.isocalendar()
        return first, first + timedelta(days=6), f"{iso.year}-W{iso.week:02d}"
    if kind == "month":
        first = anchor.replace(day=1)
        last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        return first, last, f"{first:%Y-%m}"
    raise ValueError(f"unknown report kind: {kind}")


def last_complete(kind: str, today: date) -> date:
    """An anchor day of the last period that has fully ended before ``today``."""
    first, _, _ = period(kind, today)
    return first - timedelta(days=1)


def case_figures(cases: Cases, start: float, end: float, bus: str | None = None,
                 now: float | None = None) -> dict[str, Any]:
    """The bad-rating case figures of §2 for cases opened in [start, end), from the 差评整改 workflow
    (hq/cases.py): 回访率 = callbacks made / callbacks asked for, 整改率 = justified cases closed /
    justified cases, days to close = closing − opening."""
    f = cases.figures(now if now is not None else end, start, end, bus=bus)
    return {"bad_cases": f["cases"], "closed": f["cases"] - f["open"], "rectify_rate": f["fix_rate"],
            "callback_rate": f["callback_rate"], "days_to_close_mean": f["avg_days_to_close"]}


def figures(store: HqStore, accepted: AcceptedCases, cases: Cases, calendar: RouteCalendar | None,
            first: date, last: date, tz: ZoneInfo, bus: str | None = None,
            now: float | None = None) -> dict[str, Any]:
    """Every figure of the report for one bus (or the county when ``bus`` is None). 受理 cases are
    counted as they stand at the period's end, or ``now`` when the period has not ended yet."""
    start, _ = day_bounds(first, tz)
    _, end = day_bounds(last, tz)
    where, args = "ts >= ? AND ts < ?", [start, end]
    if bus is not None:
        where += " AND bus = ?"
        args.append(bus)
    rows = store.query(f"SELECT bus, type, ts, data FROM events WHERE {where} AND type IN "
                       "('ticket.issued', 'ticket.served', 'rating', 'stop.arrived') ORDER BY ts", tuple(args))
    issued = 0
    outcomes: Counter[str] = Counter()
    waits: list[float] = []
    services: list[float] = []
    scanned = printed = ems = 0
    levels: list[int] = []
    arrivals: list[tuple[str, str, date, float | None]] = []
    for r in rows:
        d = json.loads(r["data"])
        kind = r["type"]
        if kind == "ticket.issued":
            issued += 1
        elif kind == "ticket.served":
            outcomes[str(d.get("outcome") or "completed")] += 1
            for values, key in ((waits, "wait_s"), (services, "service_s")):
                if isinstance(d.get(key), int | float):
                    values.append(float(d[key]))
            scanned += int(d.get("pages_scanned") or 0)
            printed += int(d.get("pages_printed") or 0)
            ems += 1 if d.get("ems_no") else 0
        elif kind == "rating" and isinstance(d.get("level"), int) and 1 <= d["level"] <= 5:
            levels.append(d["level"])
        elif kind == "stop.arrived":
            arrivals.append((r["bus"], str(d.get("stop") or ""), datetime.fromtimestamp(r["ts"], tz).date(),
                             d.get("late_s") if isinstance(d.get("late_s"), int | float) else None))
    served = sum(outcomes.values())
    stops = [a for a in arrivals if not a[1].startswith(HOME_STOP_PREFIX)]
    lates = [a[3] for a in stops if a[3] is not None]
    today = datetime.fromtimestamp(min(end - 1, now if now is not None else end - 1), tz).date()
    acc = accepted.listing(today, bus=bus, start=start, end=end)
    ems_later = [c for c in accepted.listing(today, bus=bus) if c["ems_at"] and start <= c["ems_at"] < end]
    good = sum(1 for lv in levels if lv in GOOD_LEVELS)
    dem = demand(store, start, end, bus)
    return {
        "sessions_held": len(stops), "home_visits": len(arrivals) - len(stops),
        **_against_plan(calendar, stops, first, last, bus),
        "late_arrivals": sum(1 for s in lates if s > LATE_AFTER_S),
        "late_mean_min": round(sum(max(0.0, s) for s in lates) / len(lates) / 60, 1) if lates else None,
        "tickets": issued, "served": served,
        "outcomes": {k: outcomes.get(k, 0) for k in OUTCOMES},
        "wait_median_min": _minutes(percentile(waits, 0.5)), "wait_p90_min": _minutes(percentile(waits, 0.9)),
        "service_median_min": _minutes(percentile(services, 0.5)),
        "pages_scanned": scanned, "pages_printed": printed,
        "ems_shipments": ems + len(ems_later),
        "accepted_open": sum(1 for c in acc if c["status"] == "open"),
        "accepted_done": sum(1 for c in acc if c["status"] == "done"),
        "accepted_overdue": sum(1 for c in acc if c["overdue"]),
        "ratings": len(levels), "ratings_good": good, "ratings_bad": sum(1 for lv in levels if lv <= 2),
        "good_rate": round(good / len(levels), 4) if levels else None,
        "rating_rate": round(len(levels) / served, 4) if served else None,
        "rating_mean": round(sum(levels) / len(levels), 2) if levels else None,
        **case_figures(cases, start, end, bus, now),
        "suggestions_kiosk": dem["suggestions"]["kiosk"], "suggestions_phone": dem["suggestions"]["phone"],
        "top_topics": dem["suggestions"]["topics"][:5],
        "refused": dem["refused_total"], "refused_by_reason": dem["refused_by_reason"],
        "demand": dem["refused"][:20],
    }


def _against_plan(calendar: RouteCalendar | None, stops: list[tuple[str, str, date, float | None]],
                  first: date, last: date, bus: str | None) -> dict[str, Any]:
    """Planned sessions of the route calendar in the period, and how many had no arrival."""
    if calendar is None:
        return {"sessions_planned": None, "sessions_missed": None}
    held = {(b, s, d) for b, s, d, _ in stops}
    planned = missed = 0
    for b in ([bus] if bus is not None else calendar.buses()):
        for day in calendar.plan(b, first, last):
            for v in day["visits"]:
                if v["cancelled"]:
                    continue
                planned += 1
                missed += (b, v["stop"], date.fromisoformat(day["date"])) not in held
    return {"sessions_planned": planned, "sessions_missed": missed}


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)


def build(store: HqStore, accepted: AcceptedCases, cases: Cases, calendar: RouteCalendar | None, kind: str,
          anchor: date, tz: ZoneInfo, now: float) -> dict[str, Any]:
    """The whole report: the county, then each bus heard from or planned."""
    first, last, label = period(kind, anchor)
    start, _ = day_bounds(first, tz)
    _, end = day_bounds(last, tz)
    buses = {r["bus"] for r in store.query("SELECT DISTINCT bus FROM events WHERE ts >= ? AND ts < ?", (start, end))}
    if calendar is not None:
        buses |= set(calendar.buses())
    return {"kind": kind, "label": label, "first": first.isoformat(), "last": last.isoformat(),
            "timezone": str(tz), "generated_at": now,
            "county": figures(store, accepted, cases, calendar, first, last, tz, now=now),
            "buses": [{"bus": b, **figures(store, accepted, cases, calendar, first, last, tz, b, now)}
                      for b in sorted(buses)]}
