"""``ztc gps watch`` against a real gpsd: fixes and a detected stop come out; no gpsd is a clear
message and a failing exit code; the bus database is left untouched (detect-only)."""
from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

from tests.support import free_port

from . import nmea
from .harness import REPO, day_fixture
from .redate import redate_lines


def watch(tmp_path: Path, port: int, *args: str) -> subprocess.CompletedProcess[str]:
    # Only our settings: other ZTC_* variables (ZTC_SHARED_DIR is a test-only one) would be read
    # by the configuration loader as settings.
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZTC_")}
    env |= {"ZTC_DATA_DIR": str(tmp_path / "data"), "ZTC_GPS__PORT": str(port)}
    return subprocess.run([sys.executable, "-m", "ztc_cli", "gps", "watch", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=60)


def test_watch_prints_fixes_and_the_stop_as_json(gpsfake_factory, tmp_path):
    run = gpsfake_factory(nmea.fixture_lines(day_fixture())[: 3 * 120], cycle="0.004")
    result = watch(tmp_path, run.port, "--json", "--count", "100")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    fixes = [item for item in lines if item["type"] == "fix"]
    stops = [item for item in lines if item["type"] == "stop"]
    assert len(fixes) == 100 and all(f["mode"] >= 2 for f in fixes)
    assert stops[0]["kind"] == "arrived" and stops[0]["stop"] == "depot"
    final = lines[-1]
    assert final["type"] == "status" and final["connected"] is True and final["fixes"] >= 100
    assert not (tmp_path / "data" / "bus.db").exists(), "watching changes nothing"


def test_watch_text_output_is_bilingual(gpsfake_factory, tmp_path):
    run = gpsfake_factory(nmea.fixture_lines(day_fixture())[: 3 * 40], cycle="0.004")
    result = watch(tmp_path, run.port, "--count", "30")
    assert result.returncode == 0, result.stderr
    assert "到站 / arrived: 县政务服务中心 (depot)" in result.stdout
    assert "3D" in result.stdout and "km/h" in result.stdout


def test_watch_prints_the_receivers_own_speed_and_heading(gpsfake_factory, tmp_path):
    """A Quectel EG25-G modem (GGA before RMC) replayed through gpsd 3.22: gpsd first reports each fix
    with a speed of its own (up to 16 m/s, 60 km/h, from position jitter) and no heading; the crew must
    see what the receiver says — 0.3 to 5.5 knots, with its course."""
    log = Path(__file__).parent / "logs" / "quectel-eg25-g.log"
    lines = redate_lines(log.read_text().splitlines(), (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).date())
    own = []   # (km/h, course) of every RMC with a fix, in order
    for line in lines:
        f = line.split("*")[0].split(",")
        if f[0] == "$GPRMC" and f[2] == "A":
            own.append((f"{float(f[7]) * 0.514444 * 3.6:.1f} km/h", f"航向 / heading {float(f[8]):.0f}°"))
    run = gpsfake_factory(lines, cycle="0.005", trailing_s=3)
    result = watch(tmp_path, run.port, "--count", str(len(own)), "--seconds", "30")
    assert result.returncode == 0, result.stderr
    printed = [line for line in result.stdout.splitlines() if "3D" in line and "km/h" in line]
    assert len(printed) >= len(own) - 1, result.stdout
    for line, (speed, heading) in zip(printed[::-1], own[::-1], strict=False):   # aligned from the last fix
        assert f"  {speed}  {heading}" in line, line
    assert not any(f" {v} km/h" in result.stdout for v in ("53.0", "59.7", "31.8")), "gpsd's estimates"


def test_watch_without_gpsd_says_so_and_fails(tmp_path):
    result = watch(tmp_path, free_port(), "--json", "--seconds", "2")
    assert result.returncode == 1
    statuses = [json.loads(line) for line in result.stdout.splitlines()]
    assert statuses and all(s["type"] == "status" and s["state"] == "error" for s in statuses)
    assert "gpsd" in statuses[-1]["detail"] and "connection failed" in statuses[-1]["detail"]
