"""The camera and A4 printer in device health (drivers.registry), as headquarters will see them."""
from __future__ import annotations

from drivers import registry
from tests.documents.conftest import QUEUE
from ztc.settings import load_settings


def settings_with(tmp_path, **env: str):
    return load_settings(environ={"ZTC_DATA_DIR": str(tmp_path), **{f"ZTC_DEVICES__{k}": v for k, v in env.items()}})


def test_both_devices_are_registered():
    names = [name for name, _ in registry.PROVIDERS]
    assert "a4_printer" in names and "camera" in names


def test_a4_printer_health_comes_from_cups(tmp_path, cups, printer):
    ok = registry.a4_printer_status(settings_with(tmp_path, A4_PRINTER__SERVER=cups.server,
                                                   A4_PRINTER__QUEUE=QUEUE))
    assert ok["state"] == "ok"
    cups.stop_queue(QUEUE, "toner empty")
    stopped = registry.a4_printer_status(settings_with(tmp_path, A4_PRINTER__SERVER=cups.server,
                                                        A4_PRINTER__QUEUE=QUEUE))
    assert stopped["state"] == "error" and "toner empty" in stopped["detail"]
    missing = registry.a4_printer_status(settings_with(tmp_path, A4_PRINTER__SERVER=cups.server,
                                                        A4_PRINTER__QUEUE="other-queue"))
    assert missing["state"] == "error" and "other-queue" in missing["detail"]


def test_camera_health_without_opening_it(tmp_path, documents_dir):
    assert registry.camera_status(settings_with(tmp_path))["state"] == "ok"   # the simulator's fixtures
    unplugged = registry.camera_status(settings_with(tmp_path, CAMERA__SOURCE="/dev/v4l/by-id/usb-none-video-index0"))
    assert unplugged["state"] == "offline" and "usb-none" in unplugged["detail"]
    plugged = tmp_path / "video-index0"
    plugged.touch()
    assert registry.camera_status(settings_with(tmp_path, CAMERA__SOURCE=str(plugged)))["state"] == "ok"
    gone = registry.camera_status(settings_with(tmp_path, CAMERA__SIM_PATH=str(tmp_path / "nothing")))
    assert gone["state"] == "error"
