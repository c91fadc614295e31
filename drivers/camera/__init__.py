"""The document camera (高拍仪): UVC through OpenCV, or the image/video simulator.

``camera_from_settings(settings.devices.camera)`` picks the reader from ``source``
(``sim`` → simulator; a ``/dev/v4l/by-id/…`` path or an index → UVC) and returns an unopened
:class:`Camera`; call ``start()`` on the crew role, never on import.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from drivers.camera.errors import CameraError

if TYPE_CHECKING:
    from drivers.camera.camera import Camera
    from drivers.camera.sim import SimReader
    from drivers.camera.uvc import UvcReader
    from ztc.settings import CameraSettings

_LAZY = {"Camera": "drivers.camera.camera", "SimReader": "drivers.camera.sim", "UvcReader": "drivers.camera.uvc"}


def __getattr__(name: str) -> Any:
    """Load OpenCV-backed classes on first use: roles that never open the camera stay ~100 MB smaller."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(name)


def camera_from_settings(cam: CameraSettings) -> Camera:
    """A Camera for ``settings.devices.camera`` (not started, nothing opened)."""
    from drivers.camera.camera import Camera
    from drivers.camera.sim import SimReader
    from drivers.camera.uvc import UvcReader

    reader: SimReader | UvcReader = (SimReader(cam.sim_path, fps=cam.sim_fps) if cam.source == "sim"
                                     else UvcReader(cam.source, cam.width, cam.height))
    return Camera(reader, preview_width=cam.preview_width, warmup_frames=cam.warmup_frames,
                  reopen_max_s=cam.reopen_max_s)


__all__ = ["Camera", "CameraError", "SimReader", "UvcReader", "camera_from_settings"]
