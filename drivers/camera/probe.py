"""Camera presence for device health, without opening the device.

Why not open it: the crew role streams from the camera, and a second process starting a V4L2
stream would fail or steal it. Presence of the ``/dev/v4l/by-id`` link (or ``/dev/videoN``) is
what tells headquarters "plugged in or not"; the crew screen's running Camera reports the rest.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from drivers.camera.source import IMAGE_SUFFIXES, VIDEO_SUFFIXES, default_sim_path, parse_source
from ztc.settings import CameraSettings
from ztc.text import Text

SIM_CAMERA = Text("模拟高拍仪：{name}", "simulated camera: {name}")
SIM_SOURCE_MISSING = Text("模拟图像不存在", "simulator source missing: {path}")
CONNECTED = Text("已连接", "connected: {device}")
NOT_CONNECTED = Text("高拍仪未连接", "document camera not connected: {device}")


def camera_presence(cam: CameraSettings) -> dict[str, Any]:
    """``{"state", "detail"}`` for ``health.devices.camera``."""
    if cam.source == "sim":
        path = Path(cam.sim_path) if cam.sim_path else default_sim_path()
        usable = path.is_dir() or path.suffix.lower() in IMAGE_SUFFIXES | VIDEO_SUFFIXES
        if path.exists() and usable:
            # The folder's name only: this text is shown on the crew's screen and sent to HQ.
            return {"state": "ok", "detail": str(SIM_CAMERA.format(name=path.name))}
        return {"state": "error", "detail": str(SIM_SOURCE_MISSING.format(path=path))}
    source = parse_source(cam.source)
    device = f"/dev/video{source}" if isinstance(source, int) else source
    if os.path.exists(device):
        return {"state": "ok", "detail": str(CONNECTED.format(device=device))}
    return {"state": "offline", "detail": str(NOT_CONNECTED.format(device=device))}
