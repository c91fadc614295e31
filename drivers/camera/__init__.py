"""The document camera (高拍仪): UVC through OpenCV, or the image/video simulator.

``camera_from_settings(settings.devices.camera)`` picks the reader from ``source``
(``sim`` → simulator; a ``/dev/v4l/by-id/…`` path or an index → UVC) and returns an unopened
:class:`Camera`; call ``start()`` on the crew role, never on import.
"""
from __future__ import annotations

from drivers.camera.camera import Camera
from drivers.camera.errors import CameraError
from drivers.camera.sim import SimReader
from drivers.camera.uvc import UvcReader
from ztc.settings import CameraSettings


def camera_from_settings(cam: CameraSettings) -> Camera:
    """A Camera for ``settings.devices.camera`` (not started, nothing opened)."""
    reader: SimReader | UvcReader = (SimReader(cam.sim_path, fps=cam.sim_fps) if cam.source == "sim"
                                     else UvcReader(cam.source, cam.width, cam.height))
    return Camera(reader, preview_width=cam.preview_width, warmup_frames=cam.warmup_frames,
                  reopen_max_s=cam.reopen_max_s)


__all__ = ["Camera", "CameraError", "SimReader", "UvcReader", "camera_from_settings"]
