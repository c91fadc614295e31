"""The ``ztc devices`` commands as a person runs them: real processes, a real virtual printer."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import usb.core

from drivers import registry
from drivers.ticket_printer.transports import UsbTransport
from tests.printer.conftest import REPO


def _env(tmp_path: Path, port: int | None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZTC_")}
    env.update(ZTC_DATA_DIR=str(tmp_path), ZTC_DEVICES__TICKET_PRINTER__STATUS_TIMEOUT_S="0.5", **extra)
    if port is not None:
        env["ZTC_DEVICES__TICKET_PRINTER__PORT"] = str(port)
    return env


def _ztc(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ztc_cli", *args], env=env, cwd=REPO, capture_output=True,
                          text=True, timeout=60)


def test_direct_status_and_test_print_against_the_virtual_printer(sim, tmp_path):
    """Set-up without a resident kiosk: ``--direct`` opens the printer from the command."""
    env = _env(tmp_path, sim.tcp_port)
    out = _ztc(["devices", "status", "--json", "--direct"], env)
    assert out.returncode == 0, out.stderr
    status = json.loads(out.stdout)["ticket_printer"]
    assert status["state"] == "ok" and status["paper"] == "ok"

    printed = _ztc(["devices", "test-print", "ticket", "--direct", "--number", "C042", "--mode", "native"], env)
    assert printed.returncode == 0, printed.stderr
    assert "C042" in printed.stdout
    [paper] = sim.wait_for_tickets(1)
    assert "C042" in paper.lines() and "工程建设项目审批" in paper.lines()

    sim.faults.paper = "out"
    failed = _ztc(["devices", "test-print", "ticket", "--json", "--direct"], env)
    assert failed.returncode == 1
    assert json.loads(failed.stdout)["job"]["error"] == "打印机缺纸 / printer out of paper"
    text = _ztc(["devices", "status", "--direct"], env)
    assert "ticket_printer" in text.stdout and "error" in text.stdout and "缺纸" in text.stdout


def test_status_and_test_print_go_through_the_resident_kiosk(sim, tmp_path):
    """The resident kiosk owns the printer: ``status`` reads its table, ``test-print`` asks it to print;
    without a kiosk the command says so (and names --direct) instead of opening the printer."""
    from kiosk.printer_owner import PrinterOwner
    from kiosk.printing import DriverPrinter
    from ztc.settings import load_settings

    env = _env(tmp_path, sim.tcp_port, ZTC_DEVICES__TICKET_PRINTER__TEXT_MODE="native")
    nobody = json.loads(_ztc(["devices", "status", "--json"], env).stdout)["ticket_printer"]
    assert nobody["state"] == "offline" and "前台未运行" in nobody["detail"]
    refused = _ztc(["devices", "test-print", "ticket"], env)
    assert refused.returncode == 1 and "--direct" in refused.stdout
    assert sim.status_queries == 0 and sim.tickets == []        # neither command touched the printer

    settings = load_settings(environ={k: v for k, v in env.items() if k.startswith("ZTC_")})
    printer = DriverPrinter(settings)
    owner = PrinterOwner(settings, printer, probe_s=0.5)
    owner.start()
    try:
        sim.faults.paper = "near_end"
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            status = json.loads(_ztc(["devices", "status", "--json"], env).stdout)["ticket_printer"]
            if status["state"] == "degraded":
                break
        assert status["state"] == "degraded" and status["paper"] == "near_end" and status["age_s"] < 30
        printed = _ztc(["devices", "test-print", "ticket"], env)
        assert printed.returncode == 0, printed.stdout + printed.stderr
        assert "已由前台打印" in printed.stdout
        [paper] = sim.wait_for_tickets(1)
        assert "副本" in paper.text()
    finally:
        owner.stop()
        printer.close()


def test_status_of_an_absent_printer_is_offline_not_a_crash(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = _ztc(["devices", "status", "--json", "--direct"], _env(tmp_path, port))
    assert out.returncode == 0, out.stderr
    status = json.loads(out.stdout)["ticket_printer"]
    assert status["state"] == "offline" and f"127.0.0.1:{port}" in status["detail"]


def test_sim_printer_command_serves_tcp_and_a_pty(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    link = tmp_path / "usb-Virtual_Printer-if00"
    proc = subprocess.Popen([sys.executable, "-m", "ztc_cli", "devices", "sim-printer", "--tcp", str(port),
                             "--pty", "--pty-link", str(link), "--width", "58", "--out", str(tmp_path / "png")],
                            env=_env(tmp_path, port), cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        banner = [proc.stdout.readline() for _ in range(3)]
        assert f"tcp://127.0.0.1:{port}" in banner[0] and str(link) in banner[1]
        printed = _ztc(["devices", "test-print", "ticket", "--direct", "--mode", "raster"], _env(tmp_path, port))
        assert printed.returncode == 0, printed.stderr
        serial = _ztc(["devices", "test-print", "ticket", "--direct", "--mode", "native", "--number", "B007"],
                      _env(tmp_path, None, ZTC_DEVICES__TICKET_PRINTER__KIND="serial",
                           ZTC_DEVICES__TICKET_PRINTER__DEVICE=str(link),
                           ZTC_DEVICES__TICKET_PRINTER__PAPER_WIDTH_MM="58"))
        assert serial.returncode == 0, serial.stderr + serial.stdout
        lines = [proc.stdout.readline() for _ in range(2)]
        assert lines[0].startswith("ticket 1:") and "(image)" in lines[0]
        assert lines[1].startswith("ticket 2:") and "沂源县政务服务直通车" in lines[1]
        assert len(list((tmp_path / "png").glob("*.png"))) == 2
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(10)
    assert not link.exists()


def test_one_broken_device_probe_does_not_hide_the_others(settings, monkeypatch):
    def broken(_settings):
        raise RuntimeError("camera driver crashed")

    fine = ("fake_ok", lambda s: {"state": "ok", "detail": "x"})
    monkeypatch.setattr(registry, "PROVIDERS", [("camera", broken), fine])
    out = registry.device_statuses(settings)
    assert out["camera"]["state"] == "error" and "camera driver crashed" in out["camera"]["detail"]
    assert out["fake_ok"]["state"] == "ok"


def test_usb_transport_passes_keywords_and_finite_timeouts(monkeypatch):
    """The one mock: there is no USB bus here. pyusb's find() returns a stand-in device."""
    calls: dict[str, object] = {}

    class Device:
        backend = type("B", (), {"__module__": "usb.backend.libusb1"})()
        _ctx = SimpleNamespace(dispose=lambda *a: calls.setdefault("disposed", True))

        def is_kernel_driver_active(self, _i):
            return False

        def set_configuration(self):
            pass

        def reset(self):
            pass

        def write(self, ep, data, timeout):
            calls["write"] = (ep, bytes(data), timeout)

        def read(self, ep, n, timeout):
            calls["read"] = (ep, n, timeout)
            raise usb.core.USBTimeoutError("timeout")

    def find(**kwargs):
        calls["find"] = kwargs
        return Device()

    monkeypatch.setattr(usb.core, "find", find)
    t = UsbTransport(vendor_id=0x0416, product_id=0x5011, in_ep=0x81, out_ep=0x03, timeout_ms=1500)
    assert "find" not in calls                                      # nothing opened in the constructor
    t.write(b"\x1b@")
    assert calls["find"] == {"idVendor": 0x0416, "idProduct": 0x5011}
    assert calls["write"] == (0x03, b"\x1b@", 1500)
    assert t.read(1, 0.25) == b""                                   # silence, not an error
    assert calls["read"][0] == 0x81 and calls["read"][2] == 250
    t.close()
    assert calls["disposed"] and not t.is_open
