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
from .gpsd_chk import expected_fixes
from .harness import REPO, day_fixture
from .redate import redate_lines


def watch(tmp_path: Path, port: int, *args: str) -> subprocess.CompletedProcess[str]:
    # Only our settings: other ZTC_* variables (ZTC_SHARED_DIR is a test-only one) would be read
    # by the configuration loader as settings.
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZTC_")}
    env |= {"ZTC_DATA_DIR": str(tmp_path / "data"), "ZTC_GPS__PORT": str(port)}
    return subprocess.run([sys.executable, "-m", "ztc.cli", "gps", "watch", *args], cwd=REPO, env=env,
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
    """A receiver sending GGA before RMC (the BeiDou SiRF log of gpsd's regression suite): gpsd first
    reports each fix with a speed of its own (33.4 m/s = 120 km/h for the first) and no heading; the
    crew must see what the receiver says: about 0.5 km/h, heading 5°."""
    log = Path(__file__).parent / "logs" / "beidou-bd.log"
    lines = redate_lines(log.read_text().splitlines(), (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).date())
    run = gpsfake_factory(lines, cycle="0.005", trailing_s=3)
    result = watch(tmp_path, run.port, "--count", "4")
    assert result.returncode == 0, result.stderr
    fix_lines = [line for line in result.stdout.splitlines() if "3D" in line and "km/h" in line]
    want = expected_fixes(log.with_suffix(".log.chk"))
    assert len(fix_lines) == 4 == len(want), result.stdout
    for line, fix in zip(fix_lines, want.values(), strict=True):
        assert f"  {fix.speed * 3.6:.1f} km/h  航向 / heading 5°" in line, line
    assert "120" not in result.stdout


def test_watch_without_gpsd_says_so_and_fails(tmp_path):
    result = watch(tmp_path, free_port(), "--json", "--seconds", "2")
    assert result.returncode == 1
    statuses = [json.loads(line) for line in result.stdout.splitlines()]
    assert statuses and all(s["type"] == "status" and s["state"] == "error" for s in statuses)
    assert "gpsd" in statuses[-1]["detail"] and "connection failed" in statuses[-1]["detail"]
