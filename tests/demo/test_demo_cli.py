"""``ztc demo`` refuses clearly, before starting anything, when it cannot work."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def demo(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k != "DISPLAY" and (not k.startswith("ZTC_")
                                                                        or k == "ZTC_SHARED_DIR")}
    return subprocess.run([sys.executable, "-m", "ztc_cli", "demo", *args], cwd=REPO, env=base | env,
                          capture_output=True, text=True, timeout=60)


def test_without_a_display_it_points_to_headless(tmp_path: Path) -> None:
    result = demo("--data-dir", str(tmp_path / "d"))
    assert result.returncode == 2
    assert "DISPLAY" in result.stderr and "--headless" in result.stderr and "没有显示器" in result.stderr
    assert not (tmp_path / "d").exists()  # nothing was started or created


def test_screenshots_need_headless(tmp_path: Path) -> None:
    result = demo("--screenshots", str(tmp_path / "s"), DISPLAY=":0")
    assert result.returncode == 2 and "--screenshots needs --headless" in result.stderr


def test_a_missing_gps_sample_is_named(tmp_path: Path) -> None:
    result = demo("--headless", ZTC_SHARED_DIR=str(tmp_path))
    assert result.returncode == 2 and "yiyuan-day.nmea" in result.stderr and "ZTC_SHARED_DIR" in result.stderr
