"""Which fixes to believe. A receiver with a poor view of the sky, a cold start or a loose antenna
produces no-fix reports, (0, 0) positions, times in the future and jumps of kilometres; letting one
through would open a stop visit in the wrong village or draw a spike on headquarters' map.

Every refusal has a reason (counted in ``counts`` for health). Each reason is logged as a warning
the first time, then at most once a minute with how many were left out (``ratelimit.py``), so a
receiver without a fix for an hour — or one that flaps between fix and no fix — does not flood the
journal.
"""
from __future__ import annotations

import logging
import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from drivers.gps.fix import Fix
from drivers.gps.geo import distance_m
from drivers.gps.ratelimit import WarnLimiter
from ztc.text import Text

log = logging.getLogger(__name__)

# Reasons, as stable keys (health shows the counts) with a bilingual text for people.
REASONS: dict[str, Text] = {
    "no_fix": Text("无定位", "no fix (mode < 2)"),
    "null_island": Text("坐标为 (0, 0)", "position is (0, 0)"),
    "not_finite": Text("坐标无效", "coordinates are not numbers"),
    "future": Text("定位时间超前于系统时钟", "fix dated in the future"),
    "duplicate": Text("重复或过时的定位", "fix not newer than the last one"),
    "jump": Text("位置跳变，速度不可能", "jump implies an impossible speed"),
}
FIX_REJECTED = Text("GPS 定位被拒绝", "GPS fix rejected")
SO_FAR = Text("共 {n} 次", "{n} so far")
LOG_REANCHORED = Text("GPS 重新定位",
                      "GPS re-anchored: %d consecutive fixes agree on a position %.0f m from the last accepted one")


@dataclass(frozen=True)
class Verdict:
    accepted: bool
    reason: str | None = None   # a key of REASONS when refused
    detail: str = ""

    def __bool__(self) -> bool:
        return self.accepted


class FixFilter:
    """Stateful: judges each fix against the last accepted one (for duplicates and jumps)."""

    def __init__(self, max_speed_ms: float = 200 / 3.6, future_tolerance_s: float = 60.0,
                 reanchor_after: int = 5, clock: Callable[[], float] = time.time):
        self.max_speed_ms = max_speed_ms
        self.future_tolerance_s = future_tolerance_s
        # After this many jump refusals in a row that agree with each other, the *anchor* was the
        # glitch (or the bus really was carried away while off): start again from the new position.
        self.reanchor_after = reanchor_after
        self.clock = clock
        self.last: Fix | None = None
        self.counts: Counter[str] = Counter()
        self.accepted = 0
        self._warn = WarnLimiter(log, clock=clock)
        self._jump_streak: list[Fix] = []

    def check(self, fix: Fix) -> Verdict:
        """Judge one fix; accepted fixes become the reference for the next."""
        verdict = self._judge(fix)
        if verdict.accepted:
            self.last = fix
            self.accepted += 1
            self._jump_streak.clear()
        else:
            self.counts[verdict.reason or "?"] += 1
            self._log_refusal(fix, verdict)
        return verdict

    def _judge(self, fix: Fix) -> Verdict:
        if fix.mode < 2:
            return Verdict(False, "no_fix", f"mode {fix.mode}")
        if not (math.isfinite(fix.lat) and math.isfinite(fix.lon) and math.isfinite(fix.ts)):
            return Verdict(False, "not_finite", f"{fix.lat}, {fix.lon} at {fix.ts}")
        if abs(fix.lat) < 1e-6 and abs(fix.lon) < 1e-6:
            return Verdict(False, "null_island")
        ahead = fix.ts - self.clock()
        if ahead > self.future_tolerance_s:
            return Verdict(False, "future", f"{ahead:.0f} s ahead of the system clock")
        last = self.last
        if last is None:
            return Verdict(True)
        if fix.ts <= last.ts:
            return Verdict(False, "duplicate", f"{fix.ts} after {last.ts}")
        dist = distance_m(last.lat, last.lon, fix.lat, fix.lon)
        speed = dist / (fix.ts - last.ts)
        if speed > self.max_speed_ms:
            if self._streak_agrees(fix):
                log.warning(str(LOG_REANCHORED), self.reanchor_after, dist)
                return Verdict(True, None, "re-anchored")
            return Verdict(False, "jump", f"{dist:.0f} m in {fix.ts - last.ts:.1f} s = {speed * 3.6:.0f} km/h")
        return Verdict(True)

    def _streak_agrees(self, fix: Fix) -> bool:
        """Record a jump refusal; True when the last ``reanchor_after`` of them, at as many distinct fix
        times, form a plausible path. A report repeating the last one's time replaces it (gpsd reports a
        fix several times) instead of breaking the streak."""
        streak = self._jump_streak
        if streak and fix.ts == streak[-1].ts:
            streak.pop()
        if streak:
            prev = streak[-1]
            dt = fix.ts - prev.ts
            if dt <= 0 or distance_m(prev.lat, prev.lon, fix.lat, fix.lon) / dt > self.max_speed_ms:
                streak.clear()
        streak.append(fix)
        return len(streak) >= self.reanchor_after

    def _log_refusal(self, fix: Fix, verdict: Verdict) -> None:
        reason = verdict.reason or "?"
        text = (f"{FIX_REJECTED}: {REASONS.get(reason, reason)} ({verdict.detail}; "
                f"{SO_FAR.format(n=self.counts[reason])})")
        if reason == "duplicate":
            log.debug(text)
        else:
            self._warn.warn(reason, text)
