"""The shipped systemd units: `systemd-analyze verify` accepts each one without a single warning,
the hardening is in place (`systemd-analyze security` exposure score), and the agent's contract."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.deploy.conftest import REPO

SYSTEMD = REPO / "systemd"
# unit name → (file it comes from, highest exposure score `systemd-analyze security` may give it)
UNITS = {
    "ztc-agent.service": ("ztc-agent.service", 3.5),
    "ztc-hq.service": ("ztc-hq.service", 3.5),
    "ztc-session.service": ("ztc-session.service", 4.2),
    "ztc-kiosk@resident.service": ("ztc-kiosk@.service", 4.2),
    "ztc-kiosk@crew.service": ("ztc-kiosk@.service", 4.2),
    "ztc-kiosk@display.service": ("ztc-kiosk@.service", 4.2),
    "ztc-housekeeping.service": ("ztc-housekeeping.service", 3.5),
    "ztc-hq-report.service": ("ztc-hq-report.service", 3.5),
    "ztc-hq-ingest@1.service": ("ztc-hq-ingest@.service", 3.5),
    "ztc-hq-web@8081.service": ("ztc-hq-web@.service", 3.5),
    "ztc-hq-housekeeping.service": ("ztc-hq-housekeeping.service", 3.5),
}
# timer → the command its service runs
TIMERS = {"ztc-housekeeping.timer": "/opt/ztc/venv/bin/ztc housekeeping",
          "ztc-hq-report.timer": "/opt/ztc/venv/bin/ztc hq report --due",
          "ztc-hq-housekeeping.timer": "/opt/ztc/venv/bin/ztc hq housekeeping"}
# Binaries that exist on the bus / headquarters but not on a development machine.
TARGET_ONLY_BINARIES = {"/opt/ztc/venv/bin/ztc", "/usr/bin/weston"}


def verifiable_copy(unit: str, tmp_path: Path, *, with_neighbours: bool = True) -> Path:
    """A copy of the unit whose missing Exec binaries are replaced by an executable stub.

    `systemd-analyze verify` insists that ExecStart= exists; everything else is verified as shipped.
    The other units are copied beside it, as installed together (the kiosk roles bind to the session)."""
    if with_neighbours:
        for other in UNITS:
            if other != unit:
                verifiable_copy(other, tmp_path, with_neighbours=False)
    text = (SYSTEMD / UNITS[unit][0]).read_text(encoding="utf-8")
    stub = tmp_path / "bin" / "stub"
    stub.parent.mkdir(exist_ok=True)
    stub.write_text("#!/bin/sh\n")
    stub.chmod(0o755)
    missing = {b for b in re.findall(r"^Exec\w+=[-@:+!]*(\S+)", text, re.M) if not Path(b).exists()}
    assert missing <= TARGET_ONLY_BINARIES, f"{unit} runs unexpected binaries: {missing}"
    for binary in missing:
        text = text.replace(binary, str(stub))
    path = tmp_path / unit
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("unit", sorted(UNITS))
def test_systemd_analyze_verify_passes(unit: str, tmp_path: Path) -> None:
    path = verifiable_copy(unit, tmp_path)
    result = subprocess.run(["systemd-analyze", "verify", "--man=no", str(path)],
                            capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    # Unknown keys and unparsable values are only warnings (exit 0): none is allowed.
    assert result.stderr.strip() == "", result.stderr


def test_verify_catches_a_broken_unit(tmp_path: Path) -> None:
    """The check above is not vacuous: a misspelt key in a unit makes it complain."""
    path = verifiable_copy("ztc-agent.service", tmp_path)
    path.write_text(path.read_text().replace("Restart=always", "Restrat=always"))
    result = subprocess.run(["systemd-analyze", "verify", "--man=no", str(path)], capture_output=True, text=True)
    assert "Restrat" in result.stderr


@pytest.mark.parametrize("unit", sorted(UNITS))
def test_hardening_exposure_score(unit: str, tmp_path: Path) -> None:
    path = verifiable_copy(unit, tmp_path)
    result = subprocess.run(["systemd-analyze", "security", "--offline=yes", "--man=no", str(path)],
                            capture_output=True, text=True, cwd=tmp_path)
    match = re.search(r"Overall exposure level for \S+: ([0-9.]+)", result.stdout)
    assert match, result.stdout + result.stderr
    assert float(match.group(1)) <= UNITS[unit][1], result.stdout


def unit_settings(name: str) -> dict[str, list[str]]:
    settings: dict[str, list[str]] = {}
    for line in (SYSTEMD / name).read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            settings.setdefault(key, []).append(value)
    return settings


@pytest.mark.parametrize("name", ["ztc-agent.service", "ztc-hq.service", "ztc-kiosk@.service", "ztc-session.service",
                                  "ztc-hq-ingest@.service", "ztc-hq-web@.service"])
def test_common_hardening(name: str) -> None:
    s = unit_settings(name)
    assert s["User"] == ["ztc"]
    for key, value in [("NoNewPrivileges", "yes"), ("ProtectSystem", "strict"), ("PrivateTmp", "yes"),
                       ("ProtectHome", "yes"), ("CapabilityBoundingSet", ""), ("Restart", "always")]:
        assert s.get(key) == [value], f"{name}: {key}"


def test_data_directories_are_the_only_writable_paths() -> None:
    assert unit_settings("ztc-agent.service")["ReadWritePaths"] == ["/var/lib/ztc"]
    assert unit_settings("ztc-kiosk@.service")["ReadWritePaths"] == ["/var/lib/ztc"]
    assert unit_settings("ztc-hq.service")["ReadWritePaths"] == ["/var/lib/ztc-hq"]
    tmpfiles = (SYSTEMD / "tmpfiles.d" / "ztc.conf").read_text()
    assert re.search(r"^d /var/lib/ztc\s+0750 ztc ztc", tmpfiles, re.M)


def test_agent_is_a_watched_notify_service_without_network_online() -> None:
    s = unit_settings("ztc-agent.service")
    assert s["Type"] == ["notify"]
    assert int(s["WatchdogSec"][0]) > 0
    assert s["ExecStart"] == ["/opt/ztc/venv/bin/ztc agent"]
    settings_text = "\n".join(f"{k}={v}" for k, vs in s.items() for v in vs)
    assert "network-online" not in settings_text


def test_the_agent_says_busy_before_systemd_gives_up_on_its_start() -> None:
    """A lock held on bus.db (a long VACUUM) makes the agent wait at open; it must give its clear
    'busy' message and exit before systemd kills it for starting too slowly."""
    from ztc_cli.commands.agent_cmd import AGENT_OPEN_WAIT_S

    start_timeout = int(unit_settings("ztc-agent.service")["TimeoutStartSec"][0])
    assert start_timeout > AGENT_OPEN_WAIT_S + 5


def test_kiosk_role_is_pinned_to_its_screen() -> None:
    """The app id a role announces is the one weston.ini puts on an output, for all three roles."""
    kiosk = (SYSTEMD / "ztc-kiosk@.service").read_text()
    assert "ExecStart=/opt/ztc/venv/bin/ztc kiosk --role %i" in kiosk
    assert "Environment=SDL_VIDEO_WAYLAND_WMCLASS=ztc-%i" in kiosk
    weston = (SYSTEMD / "weston.ini").read_text()
    assert set(re.findall(r"^app-ids=ztc-(\w+)$", weston, re.M)) == {"resident", "crew", "display"}
    assert "shell=kiosk-shell.so" in weston and "vt-switching=false" in weston


@pytest.mark.parametrize("timer", TIMERS)
def test_timers_verify_and_start_their_service(timer: str, tmp_path: Path) -> None:
    service = timer.replace(".timer", ".service")
    verifiable_copy(service, tmp_path)
    path = tmp_path / timer
    path.write_text((SYSTEMD / timer).read_text(encoding="utf-8"), encoding="utf-8")
    result = subprocess.run(["systemd-analyze", "verify", "--man=no", str(path)],
                            capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0 and result.stderr.strip() == "", result.stderr
    s = unit_settings(timer)
    assert s["Persistent"] == ["true"] and s["WantedBy"] == ["timers.target"]
    assert unit_settings(service)["ExecStart"] == [TIMERS[timer]]
