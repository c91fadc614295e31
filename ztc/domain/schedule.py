"""The day's planned stop visits (定时定点): from headquarters' schedule document when one is held,
else the shipped route template applied to today's date.

Both the queue engine (departure cut-off, "later visits offering this service") and stop detection
(geofences) read the schedule through here, so they can never disagree.
"""
from __future__ import annotations

import datetime as dt
import json
import sqlite3
from dataclasses import asdict, dataclass
from typing import Any

from ztc.settings import Settings


@dataclass(frozen=True)
class PlannedVisit:
    stop: str
    name: str
    lat: float
    lon: float
    radius_m: float
    arrive: float  # epoch seconds
    depart: float
    services: tuple[str, ...]
    theme: str | None = None
    kind: str = "stop"  # "home": a home visit (上门服务) booked at headquarters; name is the address

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["services"] = list(self.services)
        return d


def service_day(settings: Settings, ts: float) -> str:
    """The local calendar date (bus time zone) of an instant, as YYYY-MM-DD."""
    return dt.datetime.fromtimestamp(ts, settings.tz).date().isoformat()


def _template_for(settings: Settings, day: dt.date) -> list[PlannedVisit]:
    out = []
    for v in settings.route.schedule:
        stop = settings.stop(v.stop)
        assert stop is not None, "validated by Settings.cross_reference_problems"
        arrive = dt.datetime.combine(day, v.arrive, settings.tz).timestamp()
        depart = dt.datetime.combine(day, v.depart, settings.tz).timestamp()
        out.append(PlannedVisit(stop.id, stop.name.zh, stop.lat, stop.lon, stop.radius_m, arrive, depart,
                                tuple(v.services), v.theme))
    return out


def _from_document(body: dict[str, Any]) -> list[PlannedVisit]:
    return [PlannedVisit(v["stop"], v["name"], float(v["lat"]), float(v["lon"]), float(v["radius_m"]),
                         float(v["arrive"]), float(v["depart"]), tuple(v["services"]), v.get("theme"),
                         v.get("kind", "stop"))
            for v in body["visits"]]


def planned_visits(conn: sqlite3.Connection, settings: Settings, now: float, days: int = 7) -> list[PlannedVisit]:
    """Planned visits from the start of today for ``days`` days, in time order.

    A schedule document from headquarters (table ``documents``, kind ``schedule``; validated before it
    was stored) replaces the template entirely; without one, the route template repeats daily.
    """
    row = conn.execute("SELECT body FROM documents WHERE kind = 'schedule'").fetchone()
    start_day = dt.datetime.fromtimestamp(now, settings.tz).date()
    start = dt.datetime.combine(start_day, dt.time(0), settings.tz).timestamp()
    if row is not None:
        visits = [v for v in _from_document(json.loads(row[0])) if v.depart >= start]
    else:
        visits = [v for n in range(days) for v in _template_for(settings, start_day + dt.timedelta(days=n))]
    return sorted(visits, key=lambda v: v.arrive)
