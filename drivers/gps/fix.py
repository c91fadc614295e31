"""One GPS fix, and how a gpsd ``TPV`` report becomes one.

Parsing is strict on purpose: a report with a missing or non-numeric field is refused with a reason
(``BadReport``) instead of becoming a fix with holes that later code would have to second-guess.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any


class BadReport(ValueError):
    """A TPV report that cannot be a fix; the message says which field is wrong."""


class NoTime(BadReport):
    """A TPV report with a position but no time: gpsd sends these while it waits for the receiver's
    date (the first seconds after start, or a receiver sending GGA before its first RMC)."""


@dataclass(frozen=True)
class Fix:
    ts: float                 # fix time, Unix epoch seconds (UTC), as the receiver reports it
    lat: float                # WGS-84 degrees
    lon: float
    speed: float | None       # m/s over ground
    track: float | None       # degrees from true north; None: unknown (never read as "due north")
    mode: int                 # 1 no fix, 2 = 2D, 3 = 3D
    alt: float | None = None  # metres (MSL)
    eph: float | None = None  # horizontal error estimate, metres
    sats: int | None = None   # satellites used in the solution, all constellations (see epoch.py)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _number(report: dict[str, Any], key: str, required: bool = False) -> float | None:
    value = report.get(key)
    if value is None:
        if required:
            raise BadReport(f"missing {key}")
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadReport(f"{key} is not a number: {value!r}")
    value = float(value)
    if not math.isfinite(value):
        if required:
            raise BadReport(f"{key} is not finite: {value!r}")
        return None
    return value


def parse_time(value: Any) -> float:
    """gpsd's ISO-8601 UTC time (``2026-05-18T01:00:00.000Z``) as epoch seconds."""
    if not isinstance(value, str):
        raise BadReport(f"time is not a string: {value!r}")
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError as e:
        raise BadReport(f"time is not ISO-8601: {value!r}") from e


def fix_from_tpv(report: dict[str, Any], sats: int | None = None) -> Fix:
    """A Fix from a gpsd TPV report; raises BadReport naming the problem.

    A mode-0/1 report (no fix) still parses, so the filter counts it as 'no fix' rather than as
    garbage; missing time or coordinates become NaN there.
    """
    if report.get("class") != "TPV":
        raise BadReport(f"not a TPV report: {report.get('class')!r}")
    mode = report.get("mode", 0)
    if isinstance(mode, bool) or not isinstance(mode, int) or not 0 <= mode <= 3:
        raise BadReport(f"mode is not 0..3: {mode!r}")
    if "time" in report:
        ts = parse_time(report["time"])
    elif mode < 2:
        ts = math.nan  # a receiver without a fix often has no time either: still "no fix", not garbage
    else:
        raise NoTime("missing time")
    if mode < 2:
        lat = _number(report, "lat")
        lon = _number(report, "lon")
        lat, lon = (math.nan if lat is None else lat), (math.nan if lon is None else lon)
    else:
        lat = _number(report, "lat", required=True)
        lon = _number(report, "lon", required=True)
        assert lat is not None and lon is not None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise BadReport(f"coordinates out of range: {lat}, {lon}")
    alt = _number(report, "altMSL")
    if alt is None:
        alt = _number(report, "alt")
    return Fix(ts=ts, lat=lat, lon=lon, speed=_number(report, "speed"), track=_number(report, "track"),
               mode=mode, alt=alt, eph=_number(report, "eph"), sats=sats)
