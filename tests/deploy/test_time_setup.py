"""Time on the bus as installed: chrony disciplines the clock from gpsd's shared memory, gpsd reads
the receiver from boot, and no ztc unit waits for the clock (residents are waiting)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.deploy.conftest import REPO
from tests.deploy.test_install import bus_stage, host_log, release  # noqa: F401 (module fixtures)

CLOCK_UNITS = ("time-sync.target", "chrony.service", "chronyd.service", "chrony-wait.service",
               "systemd-time-wait-sync.service")


def directives(text: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith(("#", "!", ";", "%")):
            name, _, rest = line.partition(" ")
            out.setdefault(name, []).append(rest.strip())
    return out


@pytest.mark.parametrize("unit", sorted(p.name for p in (REPO / "systemd").glob("ztc-*")))
def test_no_ztc_unit_waits_for_the_clock(unit: str) -> None:
    text = (REPO / "systemd" / unit).read_text(encoding="utf-8")
    ordering = re.findall(r"^(?:After|Requires|Wants|BindsTo|Requisite)=(.*)$", text, re.M)
    named = {u for line in ordering for u in line.split()}
    assert not named & set(CLOCK_UNITS), f"{unit} waits for {named & set(CLOCK_UNITS)}"


def test_chrony_takes_the_gps_time_from_gpsd_shared_memory_and_steps_at_any_time() -> None:
    conf = directives((REPO / "config" / "chrony" / "chrony.conf").read_text(encoding="utf-8"))
    shm = [r for r in conf["refclock"] if r.split()[:2] == ["SHM", "0"]]
    assert len(shm) == 1 and "refid GPS" in shm[0]
    threshold, limit = conf["makestep"][-1].split()
    assert float(threshold) <= 1 and int(limit) < 0  # no limit: the first fix may come long after boot
    assert "rtcsync" not in conf  # there is no hardware clock to keep in step


def test_gpsd_reads_the_receiver_from_boot() -> None:
    text = (REPO / "config" / "gpsd" / "gpsd.default").read_text(encoding="utf-8")
    assert re.search(r'^GPSD_OPTIONS="[^"]*-n', text, re.M)
    assert re.search(r'^DEVICES="/dev/ztc/gps"', text, re.M)


def test_install_puts_the_time_set_up_in_place(bus_stage: Path) -> None:  # noqa: F811
    assert (bus_stage / "etc/chrony/chrony.conf").read_bytes() == (REPO / "config/chrony/chrony.conf").read_bytes()
    assert (bus_stage / "etc/default/gpsd").read_bytes() == (REPO / "config/gpsd/gpsd.default").read_bytes()
    actions = (bus_stage / "ztc-host-actions.sh").read_text()
    assert "chrony" in next(line for line in actions.splitlines() if "apt-get install" in line)
    assert "systemctl enable gpsd.service chrony.service" in actions
