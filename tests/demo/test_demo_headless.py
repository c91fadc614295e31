"""``ztc demo --headless`` end to end: every part starts, a ticket taken on the bus reaches HQ,
each kiosk role is screenshotted, the printed dashboard log-in works, and SIGINT leaves no process behind."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
from PIL import Image

from tests.demo.conftest import processes_in_groups, wait_for

REPO = Path(__file__).resolve().parents[2]
EXPECTED = {"mosquitto", "gps", "printer", "hq", "agent", "xvfb-resident", "kiosk-resident",
            "xvfb-crew", "kiosk-crew", "xvfb-display", "kiosk-display"}


def ztc_env(**extra: str) -> dict[str, str]:
    """The caller's environment without ZTC_* settings (ZTC_SHARED_DIR stays: it finds the fixtures)."""
    keep = {"ZTC_SHARED_DIR"}
    return {k: v for k, v in os.environ.items() if not k.startswith("ZTC_") or k in keep} | extra


def ticket_at_hq(hq_url: str, ticket_id: str) -> dict | None:
    after = 0
    while True:
        try:
            batch = httpx.get(f"{hq_url}api/v1/events", params={"after_seq": after, "limit": 1000}, timeout=5).json()
        except httpx.HTTPError:
            return None
        for event in batch:
            if event["type"] == "ticket.issued" and event["data"]["ticket_id"] == ticket_id:
                return event
        if len(batch) < 1000:
            return None
        after = max(e["seq"] for e in batch)


def test_headless_demo_runs_everything_delivers_a_ticket_and_leaves_nothing(tmp_path: Path) -> None:
    work, shots, log_path = tmp_path / "demo", tmp_path / "shots", tmp_path / "demo.log"
    with open(log_path, "wb") as log:
        demo = subprocess.Popen([sys.executable, "-m", "ztc_cli", "demo", "--headless", "--data-dir", str(work),
                                 "--screenshots", str(shots)],
                                cwd=REPO, env=ztc_env(), stdout=log, stderr=subprocess.STDOUT)
    state_file = work / "demo.json"
    groups: set[int] = set()
    try:
        def started() -> bool:
            assert demo.poll() is None, f"demo exited early:\n{log_path.read_text()[-3000:]}"
            return state_file.is_file()

        wait_for(started, 600, "the demo to start everything")
        state = json.loads(state_file.read_text())
        children = {c["name"]: c["pid"] for c in state["children"]}
        assert set(children) == EXPECTED
        groups = set(children.values())
        running = processes_in_groups(groups)
        assert "gpsd" in running.values()  # gpsfake's gpsd is in the gps group, so it is stopped with it

        for role in ("resident", "crew", "display"):
            image = Image.open(state["screenshots"][role]).convert("RGB")
            assert image.size == (1280, 800)
            assert len(image.getcolors(maxcolors=1 << 20) or [0, 0]) > 1, f"the {role} screenshot is blank"

        issued = subprocess.run(
            [sys.executable, "-m", "ztc_cli", "queue", "issue", "A", "--json"], cwd=REPO, capture_output=True,
            text=True, timeout=120, env=ztc_env(ZTC_DATA_DIR=state["data_dir"]))
        assert issued.returncode == 0, issued.stdout + issued.stderr
        ticket = json.loads(issued.stdout)
        event = wait_for(lambda: ticket_at_hq(state["hq_url"], ticket["id"]), 120, "the ticket at HQ")
        assert event["data"]["number"] == ticket["number"]
        output = log_path.read_text()
        assert "[demo] 总部看板与接口 / HQ dashboard and API: " + state["hq_url"] in output
        login = re.search(r"\[demo\] 看板登录 / dashboard log-in: (\S+) / (\S+)", output)
        assert login, "no dashboard log-in printed"
        answer = httpx.post(f"{state['hq_url']}api/v1/login", json={"name": login[1], "password": login[2]},
                            timeout=30)
        assert answer.status_code == 200 and answer.json()["role"] == "admin", answer.text
    finally:
        demo.send_signal(signal.SIGINT)
        try:
            code = demo.wait(120)
        except subprocess.TimeoutExpired:
            demo.kill()
            raise
        leftovers = processes_in_groups(groups)
        for pid in leftovers:  # never leave the machine dirty, even when the assertion below fails
            os.kill(pid, signal.SIGKILL)
    assert code == 0, log_path.read_text()[-3000:]
    assert groups and leftovers == {}, f"left running after SIGINT: {leftovers}"
    assert "[demo] 已全部停止 / everything stopped" in log_path.read_text()
