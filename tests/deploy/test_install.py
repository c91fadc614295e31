"""install-bus.sh / install-hq.sh / uninstall.sh into a staging root (DESTDIR): the expected tree,
a second run changes nothing, nothing of the host is touched, and the tree names no staging path."""
from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.deploy.conftest import REPO

# The parts of the checkout the scripts use: copied once, so edits others make meanwhile in a shared
# working tree cannot change the source between two runs.
RELEASE_PARTS = ["scripts", "systemd", "config", "ztc", "ztc_cli", "kiosk", "drivers", "telemetry", "hq", "contract",
                 "bench", "setup.py", "pyproject.toml", "README.md", "ARCHITECTURE.md"]
HOST_COMMANDS = ["systemctl", "useradd", "usermod", "userdel", "udevadm", "apt-get", "chown", "chgrp",
                 "systemd-tmpfiles"]
# Installing ztc's dependencies would download ~200 MB into every staging root; the tree, the
# virtualenv and the editable install of ztc itself are what these tests are about.
PIP_ARGS = "--no-deps"


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("release")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for part in RELEASE_PARTS:
        src = REPO / part
        if src.is_dir():
            shutil.copytree(src, root / part, ignore=ignore)
        else:
            shutil.copy2(src, root / part)
    return root


@pytest.fixture(scope="module")
def host_log(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """A PATH whose host-changing commands only write down that they were called."""
    bin_dir = tmp_path_factory.mktemp("fake-host-bin")
    log = bin_dir / "called.log"
    for name in HOST_COMMANDS:
        tool = bin_dir / name
        tool.write_text(f'#!/bin/sh\necho "{name} $*" >> "{log}"\n')
        tool.chmod(0o755)
    yield bin_dir, log


def run_script(release: Path, script: str, destdir: Path, host_log: tuple[Path, Path], *args: str,
               check: bool = True, **env: str) -> subprocess.CompletedProcess:
    bin_dir, _ = host_log
    environ = {**os.environ, "DESTDIR": str(destdir), "ZTC_PIP_ARGS": PIP_ARGS,
               "PATH": f"{bin_dir}:{os.environ['PATH']}", **env}
    result = subprocess.run(["bash", str(release / "scripts" / script), *args], env=environ,
                            capture_output=True, text=True, timeout=600)
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def snapshot(root: Path) -> dict[str, tuple]:
    """Everything about a tree a second run could change: type, mode, content, mtime, link target."""
    out: dict[str, tuple] = {}
    for path in sorted(root.rglob("*")):
        st = path.lstat()
        rel = str(path.relative_to(root))
        if stat.S_ISLNK(st.st_mode):
            out[rel] = ("link", os.readlink(path))
        elif stat.S_ISDIR(st.st_mode):
            out[rel] = ("dir", stat.S_IMODE(st.st_mode))
        else:
            out[rel] = ("file", stat.S_IMODE(st.st_mode), st.st_mtime_ns,
                        hashlib.sha256(path.read_bytes()).hexdigest())
    return out


def files_containing(root: Path, needle: bytes) -> list[str]:
    return [str(p.relative_to(root)) for p in root.rglob("*")
            if p.is_file() and not p.is_symlink() and needle in p.read_bytes()]


@pytest.fixture(scope="module")
def bus_stage(release: Path, host_log, tmp_path_factory: pytest.TempPathFactory) -> Path:
    stage = tmp_path_factory.mktemp("bus-root")
    run_script(release, "install-bus.sh", stage, host_log)
    return stage


def test_bus_install_produces_the_expected_tree(bus_stage: Path, host_log) -> None:
    r = bus_stage
    for rel in ["opt/ztc/app/ztc_cli/cli.py", "opt/ztc/app/config/bus.yaml", "opt/ztc/app/setup.py",
                "etc/systemd/system/ztc-agent.service", "etc/systemd/system/ztc-session.service",
                "etc/systemd/system/ztc-kiosk@.service", "etc/systemd/system/ztc-housekeeping.service",
                "etc/systemd/system/ztc-housekeeping.timer", "etc/tmpfiles.d/ztc.conf",
                "etc/systemd/journald.conf.d/ztc.conf", "etc/udev/rules.d/70-ztc-devices.rules",
                "etc/ztc/bus.yaml", "etc/ztc/weston.ini"]:
        assert (r / rel).is_file(), rel
    assert not (r / "etc/systemd/system/ztc-hq.service").exists()
    # The virtualenv, ready for its final place: its ztc command runs the app copy in /opt/ztc/app.
    assert (r / "opt/ztc/venv/bin/ztc").read_text().splitlines()[0] == "#!/opt/ztc/venv/bin/python"
    pth = next((r / "opt/ztc/venv/lib").glob("python3*/site-packages/__editable__.ztc-*.pth"))
    assert pth.read_text().strip() == "/opt/ztc/app"
    assert files_containing(r, str(r).encode()) == []
    # Enabled the way `systemctl enable` does it.
    wants = {
        "multi-user.target.wants/ztc-agent.service": "/etc/systemd/system/ztc-agent.service",
        "multi-user.target.wants/ztc-session.service": "/etc/systemd/system/ztc-session.service",
        "timers.target.wants/ztc-housekeeping.timer": "/etc/systemd/system/ztc-housekeeping.timer",
        **{f"ztc-session.service.wants/ztc-kiosk@{role}.service": "/etc/systemd/system/ztc-kiosk@.service"
           for role in ("resident", "crew", "display")},
    }
    for link, target in wants.items():
        assert os.readlink(r / "etc/systemd/system" / link) == target
    # The site config holds a password: not world-readable.
    assert stat.S_IMODE((r / "etc/ztc/bus.yaml").stat().st_mode) == 0o640
    rules = (r / "etc/udev/rules.d/70-ztc-devices.rules").read_text()
    assert "@" not in rules.replace("%k", "")
    # Host commands: recorded for the target, never run here.
    actions = (r / "ztc-host-actions.sh").read_text()
    for expected in ["useradd --system",
                     "systemctl enable ztc-agent.service ztc-session.service ztc-housekeeping.timer",
                     "ztc-kiosk@resident.service", "udevadm control --reload", "systemd-tmpfiles --create"]:
        assert expected in actions
    assert not host_log[1].exists(), host_log[1].read_text()


def test_running_install_twice_changes_nothing(bus_stage: Path, release: Path, host_log) -> None:
    before = snapshot(bus_stage)
    result = run_script(release, "install-bus.sh", bus_stage, host_log)
    assert "nothing changed" in result.stdout, result.stdout
    assert snapshot(bus_stage) == before
    assert not host_log[1].exists()


def test_bundle_and_device_ids(bus_stage: Path, release: Path, host_log, pki: Path, tmp_path: Path) -> None:
    bundle = pki / "buses" / "yiyuan-01"
    stage = tmp_path / "root"
    shutil.copytree(bus_stage, stage, symlinks=True)  # the virtualenv is reused: same dependencies
    tmp_path = stage
    run_script(release, "install-bus.sh", tmp_path, host_log, ZTC_BUS_BUNDLE=str(bundle),
               ZTC_TICKET_PRINTER_USB="04b8:0e15", ZTC_KIOSK_ROLES="resident display")
    assert (tmp_path / "etc/ztc/bus.yaml").read_bytes() == (bundle / "bus.yaml").read_bytes()
    assert (tmp_path / "etc/ztc/ca.crt").read_bytes() == (pki / "ca.crt").read_bytes()
    rules = (tmp_path / "etc/udev/rules.d/70-ztc-devices.rules").read_text()
    unbind = next(line for line in rules.splitlines() if "usblp/unbind" in line)
    assert 'ATTRS{idVendor}=="04b8"' in unbind and 'ATTRS{idProduct}=="0e15"' in unbind
    assert 'SYMLINK+="ztc/ticket-printer"' in rules
    actions = (tmp_path / "ztc-host-actions.sh").read_text()
    assert "systemctl enable ztc-agent.service ztc-session.service ztc-housekeeping.timer ztc-kiosk@resident.service " \
           "ztc-kiosk@display.service\n" in actions
    assert "systemctl disable --now ztc-kiosk@crew.service" in actions
    wants = tmp_path / "etc/systemd/system/ztc-session.service.wants"
    assert sorted(p.name for p in wants.iterdir()) == ["ztc-kiosk@display.service", "ztc-kiosk@resident.service"]


def test_site_config_is_kept_on_reinstall(bus_stage: Path, release: Path, host_log, tmp_path: Path) -> None:
    stage = tmp_path / "root"
    shutil.copytree(bus_stage, stage, symlinks=True)
    (stage / "etc/ztc/weston.ini").write_text("[output]\nname=HDMI-A-1\napp-ids=ztc-resident\n")
    (stage / "etc/ztc/bus.yaml").write_text("bus:\n  id: yiyuan-07\n")
    run_script(release, "install-bus.sh", stage, host_log)
    assert (stage / "etc/ztc/bus.yaml").read_text() == "bus:\n  id: yiyuan-07\n"
    assert "HDMI-A-1" in (stage / "etc/ztc/weston.ini").read_text()


@pytest.mark.parametrize(("env", "named"), [
    ({"ZTC_KIOSK_ROLES": "resident cashier"}, "cashier"),
    ({"ZTC_TICKET_PRINTER_USB": "Epson"}, "Epson"),
    ({"ZTC_BUS_BUNDLE": "/nonexistent/bundle"}, "/nonexistent/bundle"),
])
def test_bad_input_is_named(release: Path, host_log, tmp_path: Path, env: dict, named: str) -> None:
    result = run_script(release, "install-bus.sh", tmp_path, host_log, check=False, **env)
    assert result.returncode != 0
    assert named in result.stderr and "error" in result.stderr


def test_hq_install_with_broker(release: Path, host_log, pki: Path, tmp_path: Path) -> None:
    run_script(release, "install-hq.sh", tmp_path, host_log, ZTC_BROKER_DIR=str(pki))
    r = tmp_path
    assert (r / "etc/mosquitto/conf.d/ztc.conf").read_bytes() == (release / "config/mosquitto/ztc.conf").read_bytes()
    assert (r / "etc/mosquitto/ztc/acl").read_bytes() == (release / "config/mosquitto/ztc.acl").read_bytes()
    for name in ("ca.crt", "server.crt", "server.key", "passwd"):
        assert (r / "etc/mosquitto/ztc" / name).read_bytes() == (pki / name).read_bytes()
    for name in ("server.key", "passwd", "acl"):
        assert stat.S_IMODE((r / "etc/mosquitto/ztc" / name).stat().st_mode) == 0o640
    assert (r / "etc/ztc/hq.yaml").read_bytes() == (pki / "hq/hq.yaml").read_bytes()
    assert os.readlink(r / "etc/systemd/system/multi-user.target.wants/ztc-hq.service") == \
        "/etc/systemd/system/ztc-hq.service"
    assert os.readlink(r / "etc/systemd/system/timers.target.wants/ztc-hq-report.timer") == \
        "/etc/systemd/system/ztc-hq-report.timer"  # the regular reports (定期通报)
    assert not (r / "etc/systemd/system/ztc-agent.service").exists()
    assert "chgrp mosquitto" in (r / "ztc-host-actions.sh").read_text()
    before = snapshot(r)
    assert "nothing changed" in run_script(release, "install-hq.sh", r, host_log, ZTC_BROKER_DIR=str(pki)).stdout
    assert snapshot(r) == before
    assert not host_log[1].exists()


def test_uninstall_keeps_data_and_config_unless_purged(bus_stage: Path, release: Path, host_log,
                                                      tmp_path: Path) -> None:
    stage = tmp_path / "root"
    shutil.copytree(bus_stage, stage, symlinks=True)
    (stage / "var/lib/ztc").mkdir(parents=True)
    (stage / "var/lib/ztc/bus.db").write_bytes(b"records not yet at headquarters")
    run_script(release, "uninstall.sh", stage, host_log)
    assert not (stage / "opt/ztc").exists()
    assert not (stage / "etc/systemd/system/ztc-agent.service").exists()
    assert not (stage / "etc/systemd/system/multi-user.target.wants/ztc-agent.service").exists()
    assert not (stage / "etc/systemd/system/ztc-housekeeping.timer").exists()
    assert not (stage / "etc/systemd/system/timers.target.wants/ztc-housekeeping.timer").exists()
    assert not (stage / "etc/udev/rules.d/70-ztc-devices.rules").exists()
    assert (stage / "etc/ztc/bus.yaml").exists() and (stage / "var/lib/ztc/bus.db").exists()
    assert "systemctl disable --now" in (stage / "ztc-host-actions.sh").read_text()
    before = snapshot(stage)
    assert "nothing changed" in run_script(release, "uninstall.sh", stage, host_log).stdout
    assert snapshot(stage) == before
    run_script(release, "uninstall.sh", stage, host_log, "--purge")
    assert not (stage / "etc/ztc").exists() and not (stage / "var/lib/ztc").exists()
    assert "userdel ztc" in (stage / "ztc-host-actions.sh").read_text()
    assert not host_log[1].exists()
