"""When a fix is worth sending: the adaptive position rate.

Why adaptive: a cellular link on rural roads is paid per byte and often down. Headquarters' map needs
a moving bus every few hundred metres, but a parked bus only needs a heartbeat. So, per fix:
- link up: publish live when the bus starts or stops moving, after ``moving_interval_s`` /
  ``parked_interval_s``, or after moving ``min_distance_m`` — never more often than ``min_interval_s``;
- link down: record (for a later ``track`` event) the same way at the slower ``track_*`` rates, so
  headquarters can still draw the whole day without the outbox filling with positions.
The first fix after the link comes back is published at once: the retained position is stale.
Intervals are measured in fix time, so a replayed day decides exactly as the live one did.
"""
from __future__ import annotations

from dataclasses import dataclass

from drivers.gps.fix import Fix
from drivers.gps.geo import distance_m
from ztc.settings import TelemetrySettings


@dataclass(frozen=True)
class PositionDecision:
    publish: bool     # send as a live ``position`` now (link up)
    record: bool      # keep for a ``track`` event (link down)
    moving: bool
    reason: str       # first | moving | stopped | interval | distance | "" (nothing to do)


@dataclass
class _Last:
    fix: Fix
    moving: bool


class PositionPolicy:
    """Stateful per bus; call ``decide`` with every accepted fix, in order."""

    def __init__(self, config: TelemetrySettings):
        self.config = config
        self._published: _Last | None = None
        self._recorded: _Last | None = None
        self._previous: Fix | None = None
        self._link_up: bool | None = None

    def speed_of(self, fix: Fix) -> float:
        """The receiver's speed, else the speed implied by the previous fix (mode-2 fixes may lack it)."""
        if fix.speed is not None:
            return fix.speed
        prev = self._previous
        if prev is None or fix.ts <= prev.ts:
            return 0.0
        return distance_m(prev.lat, prev.lon, fix.lat, fix.lon) / (fix.ts - prev.ts)

    def decide(self, fix: Fix, link_up: bool) -> PositionDecision:
        moving = self.speed_of(fix) >= self.config.moving_speed_ms
        self._previous = fix
        if link_up != self._link_up:
            # A new period starts: its first fix goes out (or is recorded) immediately.
            self._published = None if link_up else self._published
            self._recorded = None if not link_up else self._recorded
            self._link_up = link_up
        c = self.config
        if link_up:
            reason = self._due(fix, moving, self._published, c.moving_interval_s, c.parked_interval_s,
                               c.min_distance_m)
            if reason:
                self._published = _Last(fix, moving)
            return PositionDecision(bool(reason), False, moving, reason)
        reason = self._due(fix, moving, self._recorded, c.track_moving_interval_s, c.track_parked_interval_s,
                           c.track_min_distance_m)
        if reason:
            self._recorded = _Last(fix, moving)
        return PositionDecision(False, bool(reason), moving, reason)

    def _due(self, fix: Fix, moving: bool, last: _Last | None, moving_s: float, parked_s: float,
             distance: float) -> str:
        if last is None:
            return "first"
        gap = fix.ts - last.fix.ts
        if gap < self.config.min_interval_s:
            return ""
        if moving != last.moving:
            return "moving" if moving else "stopped"
        if gap >= (moving_s if moving else parked_s):
            return "interval"
        if distance_m(last.fix.lat, last.fix.lon, fix.lat, fix.lon) >= distance:
            return "distance"
        return ""


def position_payload(fix: Fix, stop: str | None) -> dict[str, object]:
    """The PROTOCOL.md ``position`` payload (optional fields only when known). An unknown heading is
    ``null``, never 0.0: 0.0 is due north, and headquarters would draw the bus pointing there."""
    out: dict[str, object] = {"ts": fix.ts, "lat": round(fix.lat, 7), "lon": round(fix.lon, 7),
                              "speed": round(fix.speed or 0.0, 2),
                              "track": None if fix.track is None else round(fix.track, 1), "mode": fix.mode}
    if fix.alt is not None:
        out["alt"] = round(fix.alt, 1)
    if fix.eph is not None:
        out["eph"] = round(fix.eph, 1)
    if fix.sats is not None:
        out["sats"] = fix.sats
    out["stop"] = stop
    return out
