"""Import python-escpos without its side effects.

Why: every ``import escpos`` writes a capabilities pickle into a *new* temp directory unless
``ESCPOS_CAPABILITIES_PICKLE_DIR`` is set (a kiosk restarting all day would fill /tmp), and the
import calls ``logging.basicConfig()``, which would silently override the ``--log-level`` of ztc.
Import escpos only through this module.
"""
from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

_dir = Path(tempfile.gettempdir()) / f"ztc-escpos-{os.getuid()}"
_dir.mkdir(mode=0o700, exist_ok=True)
os.environ.setdefault("ESCPOS_CAPABILITIES_PICKLE_DIR", str(_dir))

_root = logging.getLogger()
_handlers_before = list(_root.handlers)

from escpos import printer  # noqa: E402
from escpos.exceptions import DeviceNotFoundError  # noqa: E402
from escpos.printer import Dummy  # noqa: E402

for _h in list(_root.handlers):
    if _h not in _handlers_before:
        _root.removeHandler(_h)



def dummy(width_dots: int | None = None) -> Dummy:
    """A byte-recording printer; with ``width_dots`` its profile knows the paper width.

    The default profile's width is "Unknown", and then ``image()`` prints a warning to stdout on
    every call. The profile data is a class attribute shared by all instances, so we give this
    instance its own copy instead of editing the shared one.
    """
    p = Dummy()
    if width_dots is not None:
        data = dict(p.profile.profile_data)
        media = dict(data.get("media", {}))
        media["width"] = {"pixels": width_dots, "mm": "Unknown"}
        data["media"] = media
        p.profile.profile_data = data
    return p


__all__ = ["DeviceNotFoundError", "Dummy", "dummy", "printer"]
