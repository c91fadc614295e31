"""`ztc queue …` as a crew member or a script uses it: real processes, one shared database."""
from __future__ import annotations

import json
import os
import subprocess
import sys


def ztc(tmp_path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "ZTC_DATA_DIR": str(tmp_path)}
    return subprocess.run([sys.executable, "-m", "ztc_cli", "queue", *args], capture_output=True, text=True,
                          env=env, timeout=60)


def ok(tmp_path, *args: str) -> dict:
    r = ztc(tmp_path, *args, "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    return json.loads(r.stdout)


def test_a_stop_from_the_command_line(tmp_path):
    assert ok(tmp_path, "arrive", "--adhoc", "王家庄村委会")["adhoc"] is True
    ok(tmp_path, "window", "open", "1", "--crew", "007", "--skills", "A,D")
    first = ok(tmp_path, "issue", "A")
    assert first["number"] == "A001" and len(first["id"]) == 36
    text = ztc(tmp_path, "issue", "D", "--priority")
    assert text.returncode == 0 and text.stdout.startswith("D001") and "前面 0 人" in text.stdout
    called = ok(tmp_path, "call", "--window", "1")
    assert called["number"] == "D001"  # the priority ticket first
    ok(tmp_path, "serve", "-w", "1")
    done = ok(tmp_path, "done", "-w", "1", "--item", "D01", "--outcome", "consulted")
    assert done["state"] == "served"
    assert ok(tmp_path, "rate", "D001", "2", "--reason", "efficiency")["level"] == 2
    status = ok(tmp_path, "status")
    assert status["queue"]["waiting"] == 1 and status["queue"]["served_today"] == 1
    assert [t["number"] for t in status["tickets"]] == ["A001"]
    pending = ztc(tmp_path, "depart", "--json")
    assert pending.returncode == 1 and json.loads(pending.stdout)["error"] == "pending_tickets"
    closed = ok(tmp_path, "depart", "--ticket", "A001=release")
    assert closed["closed"] is True and closed["released"] == 1


def test_errors_are_bilingual_with_exit_codes(tmp_path):
    r = ztc(tmp_path, "issue", "A")
    assert r.returncode == 1 and "车辆尚未到站" in r.stderr and "not at a stop" in r.stderr
    r = ztc(tmp_path, "issue", "A", "--json")
    assert r.returncode == 1 and json.loads(r.stdout)["error"] == "no_visit"
    r = ztc(tmp_path, "rate", "A001", "9")
    assert r.returncode == 2  # argparse rejects the level


def test_help_for_every_queue_action(tmp_path):
    for action in ["arrive", "depart", "stay", "issue", "checkin", "status", "window", "call", "recall", "serve",
                   "done", "no-show", "transfer", "cancel", "rate", "suggest"]:
        r = ztc(tmp_path, action, "--help")
        assert r.returncode == 0 and "--json" in r.stdout, action


def test_an_accepted_matter_with_its_case_from_the_command_line(tmp_path):
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    promised = (datetime.now(ZoneInfo("Asia/Shanghai")).date() + timedelta(days=10)).isoformat()
    ok(tmp_path, "arrive", "--adhoc", "王家庄村委会")
    ok(tmp_path, "window", "open", "1", "--crew", "007", "--skills", "A")
    ok(tmp_path, "issue", "A")
    ok(tmp_path, "call", "--window", "1")
    r = ztc(tmp_path, "done", "-w", "1", "--item", "A01", "--outcome", "accepted", "--case-no", "SD0042",
            "--department", "县人社局", "--promised", "soon", "--json")
    assert r.returncode == 1 and json.loads(r.stdout)["error"] == "bad_promised_date"
    done = ok(tmp_path, "done", "-w", "1", "--item", "A01", "--outcome", "accepted", "--case-no", "SD0042",
              "--department", "县人社局", "--promised", promised)
    assert done["state"] == "served"


def test_the_status_as_text(tmp_path):
    ok(tmp_path, "arrive", "--adhoc", "王家庄村委会")
    ok(tmp_path, "window", "open", "1", "--crew", "007", "--skills", "A,D")
    ok(tmp_path, "issue", "A")
    ok(tmp_path, "issue", "D", "--priority")
    r = ztc(tmp_path, "status")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("站点 / stop: 王家庄村委会 (")
    assert lines[1] == "等候 / waiting: 2 {'A': 1, 'D': 1}   今日取号 / issued today: 2   已办结 / served: 0"
    assert lines[2] == "窗口 / window 1: 开 open  crew 007  skills A,D"
    assert len(lines) == 5  # then the waiting tickets, the priority one marked P
    assert lines[3].startswith("  A001  waiting    ") and lines[4].startswith("  D001  waiting  P ")
