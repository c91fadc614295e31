"""``ztc kiosk`` as a real process under the test's Xvfb: each role starts and draws its first frame;
bad arguments and a broken configuration are clear messages, not tracebacks."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.kiosk.conftest import REPO


def ztc(*args: str, env: dict[str, str], input_: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ztc_cli", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=120, input=input_)


@pytest.fixture
def env(xvfb, tmp_path):
    return {**os.environ, "ZTC_DATA_DIR": str(tmp_path / "data"), "KIVY_HOME": str(tmp_path / "kivy"),
            "ZTC_KIOSK__FULLSCREEN": "false"}


@pytest.mark.parametrize("role", ["resident", "crew", "display"])
def test_role_starts_and_draws(env, role):
    out = ztc("kiosk", "--role", role, "--windowed", "--bench-first-frame", env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "first_frame_s=" in out.stdout


def test_role_is_required_and_checked(env):
    out = ztc("kiosk", env=env)
    assert out.returncode == 2 and "--role" in out.stderr
    out = ztc("kiosk", "--role", "admin", env=env)
    assert out.returncode == 2 and "invalid choice" in out.stderr


def test_broken_kiosk_config_is_named(env):
    out = ztc("kiosk", "--role", "resident", env={**env, "ZTC_KIOSK__CREW_LOGOUT_S": "soon"})
    assert out.returncode == 2 and "kiosk.crew_logout_s" in out.stderr and "Traceback" not in out.stderr


def test_set_pin_stores_a_hash(env, tmp_path):
    from ztc.db import open_database
    from ztc.domain.crew import CrewAccounts

    # getpass reads the terminal; without one it falls back to stdin (with a warning).
    out = ztc("kiosk", "--set-pin", "12", env=env, input_="9753\n9753\n")
    assert out.returncode == 0, out.stderr
    db = open_database(tmp_path / "data" / "bus.db")
    assert CrewAccounts(db).verify("12", "9753").ok
    with db.read() as conn:  # stored hashed
        assert "9753" not in conn.execute("SELECT pin_hash FROM crew WHERE number = '12'").fetchone()[0]
