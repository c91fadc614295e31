"""A bus's day track as GeoJSON: live positions and those back-filled from ``track`` events, merged.

Live and recorded positions land in one table (``source`` tells them apart), so the replay shows the
whole day even where the link was down; each point keeps its source so the page can mark the gaps.
GeoJSON coordinates are [lon, lat] in WGS-84, as RFC 7946 requires.
"""
from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from hq.stats import day_bounds
from hq.storage import HqStore


def day_track(store: HqStore, bus: str, day: date, tz: ZoneInfo) -> dict[str, Any]:
    start, end = day_bounds(day, tz)
    points = store.positions(bus, start, end)
    line = {"type": "Feature", "geometry": {"type": "LineString",
                                            "coordinates": [[p["lon"], p["lat"]] for p in points]},
            "properties": {"bus": bus, "date": day.isoformat(), "points": len(points),
                           "live": sum(1 for p in points if p["source"] == "live"),
                           "recorded": sum(1 for p in points if p["source"] == "track")}}
    feats = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [p["lon"], p["lat"]]},
              "properties": {"ts": p["ts"], "source": p["source"], "speed": p["speed"], "track": p["track"],
                             "stop": p["stop"]}} for p in points]
    return {"type": "FeatureCollection", "features": [line, *feats]}
