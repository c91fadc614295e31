"""The crew console says "时间未校准" while the bus clock cannot be trusted — here the GPS receiver's
time is 15 hours off the system clock, as the agent measures it — and the kiosk keeps issuing numbers;
the line goes once the GPS agrees. The agent is the real one writing its state file."""
from __future__ import annotations

from telemetry.agent import Agent, build_link
from tests.kiosk.test_crew import CREW, PIN, open_console
from ztc.db import open_database
from ztc.domain.crew import CrewAccounts


def test_console_shows_clock_not_set_until_the_gps_agrees(kiosk, engine, settings, clock):
    CrewAccounts(open_database(settings.db_path)).set_pin(CREW, PIN)
    receiver = {"state": "degraded", "connected": True, "clock_drift_s": -54000.0}
    agent = Agent(settings, engine.db, build_link(settings, "test", "boot"), engine, clock=clock,
                  gps_status=lambda: receiver)
    agent.clock_watch.refresh()
    agent.share_state(clock(), connected=False)
    engine.arrive("nanma-xincun", "gps")
    k = kiosk("crew")
    open_console(k)
    k.pump(until=lambda: "时间未校准" in k.texts(), timeout=30)
    assert "时间未校准（与卫星时间相差 15 小时）" in k.texts()
    assert engine.issue("D").number == "D001"  # residents still get numbers
    k.screenshot("crew-console-clock-not-set")
    receiver["clock_drift_s"] = 0.4             # chrony stepped the clock: GPS and system agree
    agent.clock_watch.refresh()
    clock.advance(5)                            # the agent writes its state every few seconds
    agent.share_state(clock(), connected=False)
    engine.issue("D")                           # any change makes the console read again
    k.pump(until=lambda: "时间未校准" not in k.texts(), timeout=30)
