"""A bus that boots with a wrong clock: ``ztc queue`` processes under libfaketime, whose clock the
test steps while the database lives on — the way chrony steps a bus's clock once GPS answers.

Forward (fake-hwclock restored yesterday evening's shutdown time) and backwards (the clock ran hours
ahead): numbers go on without a repeat, no ticket changes its service day, and every time the old
clock stamped is moved by the step, so waits are true and headquarters is told (``clock.stepped``).
"""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.fake_time import FakeTime


class Bus:
    def __init__(self, tmp: Path):
        self.fake = FakeTime(tmp)
        self.data = tmp / "data"
        self.env = self.fake.env({**os.environ, "ZTC_DATA_DIR": str(self.data), "TZ": "UTC"})

    def ok(self, *args: str) -> dict:
        r = subprocess.run([sys.executable, "-m", "ztc_cli", "queue", *args, "--json"], capture_output=True,
                           text=True, env=self.env, timeout=60)
        assert r.returncode == 0, r.stdout + r.stderr
        return json.loads(r.stdout)

    def rows(self, sql: str) -> list[sqlite3.Row]:
        """Read the bus database directly: this test process runs on the true clock and must not write."""
        conn = sqlite3.connect(self.data / "bus.db")
        conn.row_factory = sqlite3.Row
        try:
            return conn.execute(sql).fetchall()
        finally:
            conn.close()


@pytest.mark.parametrize("wrong_by_h", [-15, 3], ids=["boots-15h-behind", "runs-3h-ahead"])
def test_a_step_corrects_what_the_wrong_clock_stamped(tmp_path: Path, wrong_by_h: int) -> None:
    bus = Bus(tmp_path)
    bus.fake.write(wrong_by_h * 3600)
    bus.ok("arrive", "--adhoc", "工业园")
    bus.ok("window", "open", "1", "--crew", "007", "--skills", "A")
    first, second = bus.ok("issue", "A"), bus.ok("issue", "A")
    assert bus.ok("call", "--window", "1")["number"] == "A001"
    day = first["service_day"]
    bus.fake.write(0)  # chrony steps the clock to the true time
    truth = time.time()
    third = bus.ok("issue", "A")
    assert [first["number"], second["number"], third["number"]] == ["A001", "A002", "A003"]
    assert third["service_day"] == day  # not moved to another day, forward or backwards
    step = bus.rows("SELECT * FROM clock_steps")
    assert len(step) == 1 and abs(step[0]["delta_s"] + wrong_by_h * 3600) < 60
    tickets = {r["number"]: r for r in bus.rows("SELECT * FROM tickets")}
    assert all(abs(t["issued_at"] - truth) < 120 for t in tickets.values()), "every issue time is the true one"
    assert abs(tickets["A001"]["called_at"] - truth) < 120
    assert {t["service_day"] for t in tickets.values()} == {day}
    assert abs(bus.rows("SELECT opened_at FROM visits")[0][0] - truth) < 120
    done = bus.ok("done", "-w", "1", "--item", "A01", "--outcome", "consulted")
    assert done["state"] == "served"
    record = bus.rows("SELECT wait_s, service_s FROM records")[0]
    assert 0 <= record["wait_s"] < 120 and 0 <= record["service_s"] < 120  # not 15 hours
    events = bus.rows("SELECT seq, type, data FROM outbox ORDER BY seq")
    stepped = [(e["seq"], json.loads(e["data"])) for e in events if e["type"] == "clock.stepped"]
    assert len(stepped) == 1
    seq, data = stepped[0]
    before = [e["seq"] for e in events if e["seq"] < seq]
    assert (data["from_seq"], data["upto_seq"]) == (before[0], before[-1])
    assert all(e["type"] != "clock.stepped" for e in events if e["seq"] > seq)
    status = bus.ok("status")
    assert [t["number"] for t in status["tickets"]] == ["A002", "A003"]
