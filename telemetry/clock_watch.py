"""The agent's eye on the wall clock: steps, and whether the clock can be trusted yet.

Every write transaction already corrects for a step (``ztc.wallclock.observe``); the agent looks once
a second as well, so a step is handled (and reported to headquarters) even while nobody takes a number.
Trust comes from the kernel's sync status (chrony disciplining the clock from gpsd's shared memory)
or from the receiver's own time, as the GPS reader measures it (``clock_drift_s`` of its status).
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from ztc import wallclock
from ztc.db import Database, StorageError

log = logging.getLogger(__name__)

LOOK_EVERY_S = 1.0


class ClockWatch:
    def __init__(self, db: Database, gps_status: Callable[[], dict[str, Any]] | None = None,
                 synced: Callable[[], bool | None] = wallclock.kernel_synced):
        self.db = db
        self.gps_status = gps_status
        self.synced = synced
        self._looked_at = -1e18   # boot-clock seconds: a wall-clock step must not stop the looking
        self.status = wallclock.ClockStatus(False, "unsynced")
        self.steps = 0
        self.last_step: dict[str, Any] | None = None

    def poll(self, now: float) -> None:
        """At most once a second: look for a step (writing only if there is one), then assess."""
        up = wallclock.uptime()
        if up - self._looked_at < LOOK_EVERY_S:
            return
        self._looked_at = up
        try:
            with self.db.read() as conn:
                moved = wallclock.stepped(conn)
            if moved is None or abs(moved) >= wallclock.DRIFT_S:
                with self.db.write():  # Database.write runs wallclock.observe first
                    pass
            with self.db.read() as conn:  # a kiosk's write may have found the step first
                found = wallclock.steps(conn, wallclock.boot_id())
            if len(found) != self.steps:
                self.steps, self.last_step = len(found), (found[-1] if found else None)
        except StorageError as e:
            log.error("clock step check failed: %s", e)
        self.refresh()

    def refresh(self) -> wallclock.ClockStatus:
        """Assess the clock now (the kernel's sync status, the GPS reader's drift, the floor date)."""
        self.status = wallclock.assess(time.time(), self.synced(), self._gps_offset())
        return self.status

    def _gps_offset(self) -> float | None:
        """GPS time minus wall clock from the reader's recent fixes (None without a GPS)."""
        if self.gps_status is None:
            return None
        try:
            status = self.gps_status()
        except Exception:  # the GPS reader's problems are reported by its own health
            return None
        drift = status.get("clock_drift_s")
        if not status.get("connected") or not isinstance(drift, int | float):
            return None
        return -float(drift)

    def shared(self) -> dict[str, Any]:
        """For the agent state file (crew console) and the health report."""
        out: dict[str, Any] = self.status.to_dict()
        out["steps"] = self.steps
        if self.last_step is not None:
            out["last_step"] = {k: self.last_step[k] for k in ("delta_s", "wall_before", "wall_after", "corrected")}
        return out

    def health(self) -> dict[str, Any]:
        """For ``health``: only what changes rarely (each change sends a message over the cellular
        link); the GPS offset itself is already there as the GPS device's ``clock_drift_s``."""
        out = self.shared()
        out.pop("gps_offset_s", None)
        return out
