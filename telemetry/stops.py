"""Stop detection: geofences around today's planned stops turn fixes into arrivals and departures.

Why hysteresis and dwell: at a stop the position jitters by metres, and a bus driving past a stop
crosses its circle for a few seconds. An arrival needs the bus inside the radius for ``min_dwell_s``
(fix time) and slow; a departure needs it beyond radius + ``hysteresis_m`` for ``depart_confirm_s``.
Fix time, not the system clock, measures both, so a replayed day behaves like the real one.

The queue engine holds the truth about visits, and the crew can override GPS both ways: a visit the
crew closed while the bus is still inside the circle is not reopened until the bus has left it; a
visit the crew opened elsewhere (or an on-demand stop) is never closed or replaced by GPS; GPS
departure with tickets still open leaves the decision to the crew (the engine marks the visit
"closing") and only retries quietly until the crew has decided.
"""
from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Protocol

from drivers.gps.fix import Fix
from drivers.gps.geo import distance_m
from ztc.db import Database, StorageError
from ztc.domain.errors import QueueError
from ztc.domain.models import Departure, Visit
from ztc.domain.schedule import PlannedVisit, planned_visits
from ztc.settings import Settings, StopDetectionSettings
from ztc.text import Text

log = logging.getLogger(__name__)

PLAN_REFRESH_S = 60.0     # re-read the schedule this often (fix time): headquarters may push a new one
DEPART_RETRY_S = 30.0     # a departure waiting for the crew's decision is retried this often

# What the crew and the logs read (log lines keep their %s placeholders for lazy formatting).
LOG_STOP_EVENT = Text("站点", "stop: %s %s (%s)%s")
LOG_ARRIVAL_NOT_RECORDED = Text("GPS 到站未能记录", "GPS arrival not recorded at %s: %s")
LOG_DEPARTURE_NOT_RECORDED = Text("GPS 离站未能记录", "GPS departure not recorded at %s: %s")
LOG_DEPARTURE_FAILED = Text("GPS 离站失败", "GPS departure failed at %s: %s")
LOG_RETURN_NOT_RECORDED = Text("GPS 回站未能记录", "return to stop not recorded at %s: %s")
LOG_BACK_AT = Text("GPS 回站", "back at %s: %s")
LOG_PLAN_UNREADABLE = Text("无法读取站点计划", "cannot read the stop plan: %s")
VISIT_OPEN_ELSEWHERE = Text("已在 {stop} 服务", "a visit at {stop} is open")
VISIT_OPENED_BY_CREW = Text("站点已由工作人员开启", "visit already opened by the crew")
BACK_AT_STOP = Text("车辆回到本站，恢复取号", "back at the stop; taking numbers again")
CREW_ENDED_STOP = Text("工作人员已结束本站", "the crew ended this stop")


class VisitEngine(Protocol):
    """The part of QueueEngine stop detection uses (a protocol so `gps watch` can run without one)."""

    def arrive(self, stop_id: str, source: str = "crew") -> Visit: ...
    def depart(self, source: str = "crew", decision: str | dict[str, str] | None = None) -> Departure: ...
    def current_visit(self) -> Visit | None: ...
    def stay(self) -> Visit: ...


@dataclass(frozen=True)
class Geofence:
    stop: str
    name: str
    lat: float
    lon: float
    radius_m: float


@dataclass(frozen=True)
class StopEvent:
    """Something stop detection did or decided not to do, for logs, `ztc gps watch` and tests."""

    kind: str               # arrived | departed | departure_pending | returned | arrival_skipped | crew_closed
    stop: str
    name: str
    ts: float               # fix time
    late_s: float | None = None   # against the nearest planned arrival (arrived) or departure (departed)
    visit_id: str | None = None
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def geofences(plan: list[PlannedVisit]) -> list[Geofence]:
    """One circle per stop in the plan (a stop visited twice a day is one circle, widest radius)."""
    fences: dict[str, Geofence] = {}
    for v in plan:
        old = fences.get(v.stop)
        if old is None or v.radius_m > old.radius_m:
            fences[v.stop] = Geofence(v.stop, v.name, v.lat, v.lon, v.radius_m)
    return list(fences.values())


def plan_from_database(db: Database, settings: Settings) -> Callable[[float], list[PlannedVisit]]:
    """The day's plan as the engine sees it (headquarters' schedule document, else the template)."""

    def plan(now: float) -> list[PlannedVisit]:
        with db.read() as conn:
            return planned_visits(conn, settings, now, days=1)

    return plan


@dataclass
class _State:
    inside: Geofence | None = None        # the circle the bus is in (with hysteresis)
    entered_at: float | None = None
    arrived: Geofence | None = None       # the stop whose visit GPS considers open
    outside_since: float | None = None    # arrived, but beyond the exit radius since
    suppressed: str | None = None         # stop not to arrive at again until the bus leaves it
    pending_since: float | None = None    # departure waiting for the crew's decision
    last_fix: Fix | None = None
    events: list[StopEvent] = field(default_factory=list)


class StopDetector:
    """Feed it accepted fixes in order (``update``); it drives the engine and returns what happened."""

    def __init__(self, config: StopDetectionSettings, plan: Callable[[float], list[PlannedVisit]],
                 engine: VisitEngine | None = None):
        self.config = config
        self.plan = plan
        self.engine = engine  # None: detect and report only (``ztc gps watch``)
        self._fences: list[Geofence] = []
        self._planned: list[PlannedVisit] = []
        self._plan_loaded_at: float | None = None
        self.state = _State()

    # --- the state machine -------------------------------------------------------------------

    def update(self, fix: Fix) -> list[StopEvent]:
        """Process one fix; returns the events it caused (usually none)."""
        self._refresh_plan(fix.ts)
        st = self.state
        st.last_fix = fix
        out: list[StopEvent] = []
        if st.arrived is not None and self.engine is not None:
            out += self._notice_crew_close(fix)
        self._track_containment(fix)
        if st.arrived is not None:
            out += self._check_departure(fix)
        elif st.inside is not None and st.inside.stop != st.suppressed:
            out += self._check_arrival(fix)
        for event in out:
            log.info(str(LOG_STOP_EVENT), event.kind, event.stop, event.name,
                     f": {event.detail}" if event.detail else "")
        st.events += out
        return out

    def _track_containment(self, fix: Fix) -> None:
        st, hyst = self.state, self.config.hysteresis_m
        if st.inside is not None:
            if distance_m(fix.lat, fix.lon, st.inside.lat, st.inside.lon) <= st.inside.radius_m + hyst:
                return
            if st.suppressed == st.inside.stop:
                st.suppressed = None
            st.inside, st.entered_at = None, None
        near = [(distance_m(fix.lat, fix.lon, g.lat, g.lon), g) for g in self._fences]
        near = [(d, g) for d, g in near if d <= g.radius_m]
        if near:
            st.inside, st.entered_at = min(near, key=lambda x: x[0])[1], fix.ts

    def _check_arrival(self, fix: Fix) -> list[StopEvent]:
        st = self.state
        fence = st.inside
        assert fence is not None and st.entered_at is not None
        slow = fix.speed is None or fix.speed <= self.config.arrive_max_speed_ms
        if fix.ts - st.entered_at < self.config.min_dwell_s or not slow:
            return []
        late = self._late(fence.stop, fix.ts, "arrive")
        if self.engine is None:
            st.arrived = fence
            return [StopEvent("arrived", fence.stop, fence.name, fix.ts, late)]
        try:
            current = self.engine.current_visit()
            if current is not None and current.stop_id != fence.stop:
                # The crew serves somewhere else (an on-demand stop, or a stop GPS did not see):
                # their visit stands; GPS does not try again until the bus has left this circle.
                st.suppressed = fence.stop
                return [StopEvent("arrival_skipped", fence.stop, fence.name, fix.ts, late, current.id,
                                  str(VISIT_OPEN_ELSEWHERE.format(stop=current.stop_name)))]
            visit = current if current is not None else self.engine.arrive(fence.stop, source="gps")
        except QueueError as e:
            st.suppressed = fence.stop
            return [StopEvent("arrival_skipped", fence.stop, fence.name, fix.ts, late, None, str(e))]
        except (StorageError, sqlite3.Error) as e:  # database busy or full: try again with the next fix
            log.warning(str(LOG_ARRIVAL_NOT_RECORDED), fence.stop, e)
            return []
        st.arrived, st.outside_since, st.pending_since = fence, None, None
        detail = "" if current is None else str(VISIT_OPENED_BY_CREW)
        return [StopEvent("arrived", fence.stop, fence.name, fix.ts, late, visit.id, detail)]

    def _check_departure(self, fix: Fix) -> list[StopEvent]:
        st = self.state
        fence = st.arrived
        assert fence is not None
        if st.inside is not None and st.inside.stop == fence.stop:
            st.outside_since = None
            if st.pending_since is not None and self.engine is not None:
                return self._back_at_stop(fix, fence)
            return []
        if st.outside_since is None:
            st.outside_since = fix.ts
        if fix.ts - st.outside_since < self.config.depart_confirm_s:
            return []
        if st.pending_since is not None and fix.ts - st.pending_since < DEPART_RETRY_S:
            return []
        late = self._late(fence.stop, fix.ts, "depart")
        if self.engine is None:
            st.arrived = None
            return [StopEvent("departed", fence.stop, fence.name, fix.ts, late)]
        try:
            result = self.engine.depart(source="gps")
        except (StorageError, sqlite3.Error) as e:
            log.warning(str(LOG_DEPARTURE_NOT_RECORDED), fence.stop, e)
            st.pending_since = fix.ts
            return []
        except QueueError as e:
            if e.code == "pending_tickets":
                first = st.pending_since is None
                st.pending_since = fix.ts
                if first:
                    return [StopEvent("departure_pending", fence.stop, fence.name, fix.ts, late, None, str(e))]
                return []
            if e.code == "no_visit":  # closed meanwhile (by the crew): nothing left to do
                st.arrived, st.pending_since = None, None
                return [StopEvent("crew_closed", fence.stop, fence.name, fix.ts, late, None, str(e))]
            log.warning(str(LOG_DEPARTURE_FAILED), fence.stop, e)
            st.pending_since = fix.ts
            return []
        st.arrived, st.pending_since = None, None
        return [StopEvent("departed", fence.stop, fence.name, fix.ts, late, result.visit.id if result.visit else None)]

    def _back_at_stop(self, fix: Fix, fence: Geofence) -> list[StopEvent]:
        """The bus left with people waiting and came back (it was only moved): take tickets again."""
        assert self.engine is not None
        try:
            visit = self.engine.stay()
        except (StorageError, sqlite3.Error) as e:
            log.warning(str(LOG_RETURN_NOT_RECORDED), fence.stop, e)
            return []
        except QueueError as e:  # closed by the crew meanwhile: _notice_crew_close handles it
            log.info(str(LOG_BACK_AT), fence.stop, e)
            return []
        self.state.pending_since = None
        return [StopEvent("returned", fence.stop, fence.name, fix.ts, None, visit.id,
                          str(BACK_AT_STOP))]

    def _notice_crew_close(self, fix: Fix) -> list[StopEvent]:
        """The crew closed (or replaced) the visit GPS opened: GPS follows, and stays out until exit."""
        st = self.state
        fence = st.arrived
        assert fence is not None and self.engine is not None
        try:
            current = self.engine.current_visit()
        except (StorageError, sqlite3.Error):
            return []
        if current is not None and current.stop_id == fence.stop:
            return []
        st.arrived, st.outside_since, st.pending_since = None, None, None
        if st.inside is not None and st.inside.stop == fence.stop:
            st.suppressed = fence.stop
        return [StopEvent("crew_closed", fence.stop, fence.name, fix.ts, None, None,
                          str(CREW_ENDED_STOP))]

    # --- schedule ----------------------------------------------------------------------------

    def _refresh_plan(self, now: float) -> None:
        loaded = self._plan_loaded_at
        if loaded is not None and 0 <= now - loaded < PLAN_REFRESH_S:
            return
        try:
            planned = self.plan(now)
        except Exception as e:  # a broken schedule must not stop GPS; keep the last good one
            log.warning(str(LOG_PLAN_UNREADABLE), e)
            self._plan_loaded_at = now
            return
        self._planned, self._fences, self._plan_loaded_at = planned, geofences(planned), now

    def _late(self, stop: str, ts: float, which: Literal["arrive", "depart"]) -> float | None:
        """Seconds late (negative: early) against the nearest planned arrival/departure of ``stop``."""
        times = [v.arrive if which == "arrive" else v.depart for v in self._planned if v.stop == stop]
        if not times:
            return None
        planned = min(times, key=lambda t: abs(t - ts))
        return round(ts - planned, 1)

    def status(self, now: float | None = None) -> dict[str, Any]:
        """Where the bus is against the plan: current stop, and lateness for the current or next visit."""
        st = self.state
        now = now if now is not None else (st.last_fix.ts if st.last_fix else time.time())
        at = st.arrived
        upcoming = [v for v in self._planned if v.depart >= now and (at is None or v.stop != at.stop)]
        nxt = min(upcoming, key=lambda v: v.arrive, default=None)
        schedule: dict[str, Any] | None = None
        if nxt is not None:
            schedule = {"next_stop": nxt.stop, "next_name": nxt.name, "planned_arrive": nxt.arrive,
                        "late_s": round(max(0.0, now - nxt.arrive), 1)}
        return {
            "stop": at.stop if at else None,
            "stop_name": at.name if at else None,
            "inside": st.inside.stop if st.inside else None,
            "departure_pending": st.pending_since is not None,
            "schedule": schedule,
        }

    @property
    def current_stop(self) -> str | None:
        """The stop id for the ``position`` message (``stop``), or None between stops."""
        return self.state.arrived.stop if self.state.arrived else None
