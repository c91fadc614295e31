"""Midnight in Beijing: an evening session (错时服务) open across 00:00 keeps its numbering.

The rule (README "Time on the bus"): a ticket's service day is the day its stop visit opened, so
numbers keep counting past midnight; the first visit opened on the new day starts again at A001;
no two open tickets ever hold the same number.
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from tests.support import FakeClock
from ztc.domain.engine import QueueEngine

BEIJING = ZoneInfo("Asia/Shanghai")


def beijing(y: int, m: int, d: int, hh: int, mm: int = 0) -> float:
    return dt.datetime(y, m, d, hh, mm, tzinfo=BEIJING).timestamp()


def local_day(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, BEIJING).date().isoformat()


def test_an_evening_session_keeps_counting_past_midnight(engine: QueueEngine, clock: FakeClock):
    clock.t = beijing(2026, 12, 1, 22, 30)
    engine.arrive_adhoc("工业园夜间专场")
    engine.open_window(1, "007", ["A"])
    before = [engine.issue("A") for _ in range(3)]
    assert [t.number for t in before] == ["A001", "A002", "A003"]
    engine.call_next(1)
    clock.t = beijing(2026, 12, 2, 0, 5)  # midnight passed; A002 and A003 still wait
    after = engine.issue("A")
    assert after.number == "A004" and after.service_day == "2026-12-01"
    assert local_day(after.issued_at) == "2026-12-02"  # the ticket prints the day it was taken
    waiting = [t.number for t in engine.waiting()]
    assert len(waiting) == len(set(waiting)) == 4
    assert engine.ticket("A002").id == before[1].id  # the crew still finds A002 by its number
    snap = engine.snapshot()
    assert snap.issued_today == 4 and snap.waiting == 3
    engine.complete(1, "A01", "consulted")
    engine.depart(decision="release")
    clock.t = beijing(2026, 12, 2, 8, 30)
    engine.arrive("nanma-xincun", "gps")
    morning = engine.issue("A")
    assert morning.number == "A001" and morning.service_day == "2026-12-02"
    assert engine.snapshot().issued_today == 1


def test_a_visit_opened_just_after_midnight_starts_the_new_day(engine: QueueEngine, clock: FakeClock):
    clock.t = beijing(2026, 12, 1, 23, 40)
    engine.arrive_adhoc("夜市")
    assert engine.issue("A").number == "A001"
    clock.t = beijing(2026, 12, 2, 0, 10)
    assert engine.issue("A").number == "A002"
    engine.depart(decision="release")
    clock.t = beijing(2026, 12, 2, 0, 40)
    engine.arrive_adhoc("物流园")
    first = engine.issue("A")
    assert first.number == "A001" and first.service_day == "2026-12-02"


def test_a_number_still_held_by_an_open_ticket_is_skipped(engine: QueueEngine, clock: FakeClock):
    """A database where yesterday's A001 still waits (a visit closed by hand, an older ztc): the
    new day's first number is A002, never a second A001 waiting at the same time."""
    clock.t = beijing(2026, 12, 1, 20, 0)
    engine.arrive_adhoc("夜市")
    old = engine.issue("A")
    with engine.db.write() as conn:
        conn.execute("UPDATE visits SET closed_at = ?", (clock.t,))
    clock.t = beijing(2026, 12, 2, 9, 0)
    engine.arrive_adhoc("村委会")
    new = engine.issue("A")
    assert old.number == "A001" and new.number == "A002" and new.service_day == "2026-12-02"
    assert engine.issue("A").number == "A003"


def test_midnight_through_the_cli_under_libfaketime(tmp_path):
    """`ztc queue` processes whose clock says 23:55 and then 00:05 Beijing time (libfaketime), in a
    machine zone that is not Beijing's."""
    import json
    import os
    import subprocess
    import sys

    from tests.fake_time import FakeTime

    fake = FakeTime(tmp_path)
    env = fake.env({**os.environ, "ZTC_DATA_DIR": str(tmp_path / "data"), "TZ": "America/New_York"})

    def ok(*args: str) -> dict:
        r = subprocess.run([sys.executable, "-m", "ztc_cli", "queue", *args, "--json"], capture_output=True,
                           text=True, env=env, timeout=60)
        assert r.returncode == 0, r.stdout + r.stderr
        return json.loads(r.stdout)

    fake.set(beijing(2026, 12, 1, 23, 55))
    ok("arrive", "--adhoc", "工业园夜间专场")
    assert [ok("issue", "A")["number"] for _ in range(2)] == ["A001", "A002"]
    fake.set(beijing(2026, 12, 2, 0, 5))
    late = ok("issue", "A")
    assert late["number"] == "A003" and late["service_day"] == "2026-12-01"
    assert local_day(late["issued_at"]) == "2026-12-02"
    # The printed ticket says when it was taken, in Beijing time (this process runs in New York time).
    from drivers.ticket_printer.content import TicketContent
    from drivers.ticket_printer.layout import Text, ticket_layout
    from tests.support import make_settings

    printed = ticket_layout(TicketContent.from_ticket(late, make_settings(tmp_path / "data")), 80)
    stamp = next(b.text for b in printed.blocks if isinstance(b, Text) and b.text.startswith("时间"))
    assert stamp.startswith("时间 / Time：2026-12-02 00:0"), stamp
    status = ok("status")
    assert [t["number"] for t in status["tickets"]] == ["A001", "A002", "A003"]
    assert status["queue"]["issued_today"] == 3
    assert ok("depart", "--decision", "release")["closed"] is True
    fake.set(beijing(2026, 12, 2, 8, 30))
    ok("arrive", "--adhoc", "村委会")
    first = ok("issue", "A")
    assert first["number"] == "A001" and first["service_day"] == "2026-12-02"
