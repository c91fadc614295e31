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
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from PIL import Image

_dir = Path(tempfile.gettempdir()) / f"ztc-escpos-{os.getuid()}"
_dir.mkdir(mode=0o700, exist_ok=True)
os.environ.setdefault("ESCPOS_CAPABILITIES_PICKLE_DIR", str(_dir))

_root = logging.getLogger()
_handlers_before = list(_root.handlers)

# python-escpos has inline annotations but no py.typed marker, so mypy will not read it: EscposOutput below
# is the typed surface our renderers use.
from escpos import printer  # type: ignore[import-untyped]  # noqa: E402
from escpos.constants import QR_ECLEVEL_M as _QR_ECLEVEL_M  # type: ignore[import-untyped]  # noqa: E402
from escpos.exceptions import DeviceNotFoundError  # type: ignore[import-untyped]  # noqa: E402
from escpos.printer import Dummy  # type: ignore[import-untyped]  # noqa: E402

for _h in list(_root.handlers):
    if _h not in _handlers_before:
        _root.removeHandler(_h)

QR_ECLEVEL_M: int = _QR_ECLEVEL_M   # QR error correction level M (15 %), as escpos's qr() takes it


class EscposOutput(Protocol):
    """The part of escpos's ``Dummy`` printer the renderers call (signatures as in python-escpos 3.1)."""

    def _raw(self, msg: bytes) -> None: ...

    def set(self, align: str | None = None, bold: bool | None = None, width: int | None = None,
            height: int | None = None, invert: bool | None = None, custom_size: bool | None = None) -> None: ...

    def qr(self, content: str, ec: int = ..., size: int = ..., native: bool = ...) -> None: ...

    def image(self, img_source: Image.Image | str, impl: str = ..., fragment_height: int = ...) -> None: ...

    def print_and_feed(self, n: int = ...) -> None: ...

    @property
    def output(self) -> bytes: ...


def dummy(width_dots: int | None = None) -> EscposOutput:
    """A byte-recording printer; with ``width_dots`` its profile knows the paper width.

    The default profile's width is "Unknown", and then ``image()`` prints a warning to stdout on
    every call. The profile data is a class attribute shared by all instances, so we give this
    instance its own copy instead of editing the shared one.
    """
    p: Any = Dummy()
    if width_dots is not None:
        data = dict(p.profile.profile_data)
        media = dict(data.get("media", {}))
        media["width"] = {"pixels": width_dots, "mm": "Unknown"}
        data["media"] = media
        p.profile.profile_data = data
    out: EscposOutput = p
    return out


__all__ = ["QR_ECLEVEL_M", "DeviceNotFoundError", "Dummy", "EscposOutput", "dummy", "printer"]
