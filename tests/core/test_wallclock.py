"""When the bus clock is trusted, and what the crew read (the step itself is tested through
processes under libfaketime: tests/core/test_clock_step.py, tests/telemetry/test_clock_step.py)."""
from __future__ import annotations

import time

from telemetry.clock_watch import ClockWatch
from telemetry.health import change_key
from tests.support import make_settings
from ztc import wallclock
from ztc.db import open_database


def test_assess_floor_gps_and_kernel() -> None:
    now = time.time()
    assert wallclock.assess(86400.0, synced=True).reason == "below_floor"  # 1970: certainly wrong
    assert wallclock.assess(now, synced=True, gps_offset_s=54000.0).reason == "gps_disagrees"
    assert wallclock.assess(now, synced=True).trusted
    assert wallclock.assess(now, synced=False, gps_offset_s=0.8).reason == "gps"
    assert wallclock.assess(now, synced=None).reason == "unsynced"
    # a receiver reporting 1024 weeks back (GPS week roll-over) is not believed over the kernel
    assert wallclock.assess(now, synced=True, gps_offset_s=-1024 * 7 * 86400.0).reason == "synced"
    assert wallclock.kernel_synced() in (True, False)  # adjtimex answers on Linux


def test_the_crew_read_the_reason_in_their_language() -> None:
    behind = wallclock.ClockStatus(False, "gps_disagrees", 54000.0)
    assert behind.text("zh") == "时间未校准（与卫星时间相差 15 小时）"
    assert behind.text("en") == "clock not set (15 h off the GPS time)"
    assert wallclock.ClockStatus(False, "below_floor").text("zh") == "时间未校准（时钟早于 2026 年）"
    assert wallclock.ClockStatus(True, "synced").text("zh") == ""


def test_health_changes_only_when_the_verdict_does(tmp_path) -> None:
    """Each health change costs a cellular message: a GPS offset moving by a second is not one."""
    db = open_database(make_settings(tmp_path).db_path)
    gps = {"connected": True, "clock_drift_s": -0.5}
    watch = ClockWatch(db, lambda: gps, synced=lambda: False)
    watch.poll(time.time())
    first = change_key({"clock": watch.health()})
    gps["clock_drift_s"] = 0.7
    watch.refresh()
    assert change_key({"clock": watch.health()}) == first and watch.shared()["gps_offset_s"] == -0.7
    gps["clock_drift_s"] = -54000.0
    watch.refresh()
    assert change_key({"clock": watch.health()}) != first
    db.close()


def test_a_ticket_taken_while_the_clock_reads_1970_prints_no_date(tmp_path) -> None:
    from drivers.ticket_printer.content import TicketContent
    from drivers.ticket_printer.layout import Text, ticket_layout

    settings = make_settings(tmp_path)
    ticket = {"id": "00000000-0000-4000-8000-000000000001", "number": "A001", "prefix": "A",
              "stop_name": "工业园", "ahead": 0}

    def stamped(ts: float) -> list[str]:
        layout = ticket_layout(TicketContent.from_ticket({**ticket, "issued_at": ts}, settings), 80)
        return [b.text for b in layout.blocks if isinstance(b, Text) and b.text.startswith("时间")]

    assert stamped(3600.0) == []
    assert stamped(wallclock.FLOOR_TS + 86400) == ["时间 / Time：2026-01-02 08:00"]
