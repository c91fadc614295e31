"""The crew console's clock line: "时间未校准 / clock not set" until the bus clock can be trusted.

Read on a worker thread. The agent knows most (the kernel's sync status and the GPS receiver's time);
without a fresh agent state the console judges by what this machine alone knows (sync status, floor
date). While the line shows, the kiosk still issues numbers: their times are corrected when the
clock is stepped (``ztc.wallclock``).
"""
from __future__ import annotations

from pathlib import Path

from ztc import wallclock
from ztc.agent_state import read_agent_state


def read_clock(data_dir: Path, now: float) -> wallclock.ClockStatus:
    agent = read_agent_state(data_dir, now)
    clock = agent.state.get("clock") if agent.fresh and agent.state is not None else None
    if isinstance(clock, dict) and isinstance(clock.get("trusted"), bool):
        offset = clock.get("gps_offset_s")
        return wallclock.ClockStatus(clock["trusted"], str(clock.get("reason") or ""),
                                     float(offset) if isinstance(offset, int | float) else None)
    return wallclock.assess(now, wallclock.kernel_synced())
