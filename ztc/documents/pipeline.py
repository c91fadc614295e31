"""The document pipeline as pure functions: frame in, page image out (no device, no disk).

The camera, ``ztc scan`` and the copy service all call :func:`process_frame`, so a page looks the
same whichever way it was captured.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ztc.documents.detect import find_page
from ztc.documents.modes import MODES, Mode, apply_mode, to_gray
from ztc.documents.pdf import build_pdf, encode_page_image
from ztc.documents.warp import warp_page

EDGE_TRIM = 0.006   # share of the page's width/height cut from each side (≈ 1.2 mm on A4)
NO_PAGE_NOTE = "未找到纸张边缘，已保留整幅画面 / no page edges found; the whole frame was kept"


@dataclass(frozen=True)
class Page:
    """One processed page. ``corners`` is None when no page was found (the whole frame is kept)."""

    image: np.ndarray
    mode: Mode
    corners: np.ndarray | None
    note: str = ""

    @property
    def found(self) -> bool:
        return self.corners is not None


def check_mode(mode: str) -> Mode:
    for known in MODES:
        if known == mode:
            return known
    raise ValueError(f"未知模式 {mode!r} / unknown mode {mode!r}: use color, gray or bw")


def process_frame(frame: np.ndarray, mode: str = "color") -> Page:
    """Find the page, straighten it and render it in ``mode``; keep the whole frame if no page."""
    checked = check_mode(mode)
    corners = find_page(frame)
    # Gray and bw pages are warped as one channel: a third of the work of warping colour.
    source = frame if checked == "color" else to_gray(frame)
    if corners is None:
        return Page(apply_mode(source, checked), checked, None, NO_PAGE_NOTE)
    return Page(apply_mode(trim_edges(warp_page(source, corners)), checked), checked, corners)


def trim_edges(page: np.ndarray) -> np.ndarray:
    """Cut a thin band (EDGE_TRIM of each side) off the straightened page.

    The detected outline runs along the paper's edge, so the outermost pixels mix paper and desk;
    left in, they print as a dotted black frame in bw mode.
    """
    h, w = page.shape[:2]
    dy, dx = max(1, round(h * EDGE_TRIM)), max(1, round(w * EDGE_TRIM))
    return page[dy:h - dy, dx:w - dx]


def decode_image(data: bytes, name: str = "image") -> np.ndarray:
    """Decode a JPEG/PNG/… file's bytes; a clear error for anything that is not an image."""
    frame = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR) if data else None
    if frame is None:
        raise ValueError(f"无法读取图像 {name} / {name} is not a readable image")
    return frame


def pages_to_pdf(pages: list[Page], title: str = "ztc scan") -> bytes:
    """A multi-page A4 PDF of the pages in order (JPEG or CCITT G4 inside, no re-encode)."""
    return build_pdf([encode_page_image(p.image, p.mode) for p in pages], title=title)
