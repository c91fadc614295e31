"""gpsd's reports of one fix time, put together into one fix.

gpsd reports a fix as its sentences arrive, so one receiver epoch becomes 2-6 TPV reports with the
same time: a receiver that sends GGA (position) before RMC (speed, course) is first reported with a
speed gpsd computed from the position change and no heading, then again, complete, with the
receiver's own speed and heading. The SKY reports of the epoch (satellites) come after its TPVs, one
per constellation when the receiver lists them per system.

So a fix is held until its epoch is over — the next report with another time (or none), or the end
of the stream — and is then handed on once, as the best gpsd said about it:
- a later report of the same time replaces the earlier one field by field where it says more (the
  receiver's own speed and heading win over gpsd's estimate); it never lowers the mode: a no-fix
  report at the same time is the receiver losing the *next* epoch, not this one;
- satellites in use are counted as gpsd's own clients count them (cgps counts the ``used`` flags of
  the SKY's satellite list, not ``uSat``), per constellation, and summed over the constellations of
  the epoch; an epoch without a SKY list keeps the last count (receivers often list satellites only
  every few seconds), and one whose lists mark no satellite used has an unknown count (None, not 0:
  a fix needs at least three, so gpsd just could not tell which).
"""
from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from drivers.gps.fix import Fix


def used_by_constellation(sky: dict[str, Any]) -> dict[int, int] | None:
    """Satellites marked used in a SKY report, per gnssid (0 GPS, 2 Galileo, 3 BeiDou, 6 GLONASS …);
    None when the report has no satellite list (a DOP-only SKY)."""
    satellites = sky.get("satellites")
    if not isinstance(satellites, list):
        return None
    counts: dict[int, int] = {}
    for sat in satellites:
        if not isinstance(sat, dict):
            continue
        gnss = sat.get("gnssid", 0)
        gnss = gnss if isinstance(gnss, int) and not isinstance(gnss, bool) else 0
        counts[gnss] = counts.get(gnss, 0) + (1 if sat.get("used") is True else 0)
    return counts


def merge(earlier: Fix, later: Fix) -> Fix:
    """One fix from two reports of the same time: the later says more, except it may not undo a mode
    or replace the receiver's own heading-bearing speed with a speed that came without a heading."""
    if later.mode < earlier.mode:
        return earlier
    speed, track = earlier.speed, earlier.track
    if later.track is not None:
        speed, track = later.speed if later.speed is not None else speed, later.track
    elif later.speed is not None and earlier.track is None:
        speed = later.speed
    return replace(later, speed=speed, track=track,
                   alt=later.alt if later.alt is not None else earlier.alt,
                   eph=later.eph if later.eph is not None else earlier.eph)


class EpochAssembler:
    """Feed it every TPV (as a Fix) and SKY report in order; it returns the fixes whose epoch is over."""

    def __init__(self) -> None:
        self.pending: Fix | None = None
        self._sky: dict[int, int] = {}
        self._sats: int | None = None

    def sky(self, report: dict[str, Any]) -> None:
        counts = used_by_constellation(report)
        if counts is not None:
            self._sky.update(counts)   # a constellation counts as its latest list of the epoch says

    def tpv(self, fix: Fix) -> list[Fix]:
        pending = self.pending
        if pending is not None and fix.ts == pending.ts:   # NaN (no time) never equals anything
            if fix.mode >= 2:
                self.pending = merge(pending, fix)
            return []
        out = self.flush()
        if fix.mode >= 2 and math.isfinite(fix.ts):
            self.pending = fix
        else:
            out.append(fix)   # no fix: nothing to wait for; the filter counts it
        return out

    def flush(self) -> list[Fix]:
        """The held fix, complete with its satellites (at the end of its epoch or of the stream)."""
        pending, self.pending = self.pending, None
        if pending is None:
            return []
        if self._sky:
            total = sum(self._sky.values())
            # A 2D/3D fix needs at least 3 satellites: "none used" means gpsd could not tell which
            # (gpsd 3.22 with Quectel EG25 modems marks none), so the count is unknown, not 0.
            self._sats = total if total > 0 else None
            self._sky = {}
        return [replace(pending, sats=self._sats)]
