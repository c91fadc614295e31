"""ID-card copy (身份证复印): front and back of a card at true size on one A4 page.

Offices ask for both sides on one sheet, at 1:1 scale, so the page is composed at 300 dpi on a
white A4 canvas: 85.6 × 54 mm cards, front in the upper half, back in the lower half.
"""
from __future__ import annotations

import cv2
import numpy as np

from ztc.documents.detect import find_page
from ztc.documents.modes import Mode, apply_mode
from ztc.documents.pipeline import NO_PAGE_NOTE, Page, check_mode
from ztc.documents.warp import warp_page

DPI = 300
A4_PX = (round(210 / 25.4 * DPI), round(297 / 25.4 * DPI))    # (2480, 3508)
CARD_PX = (round(85.6 / 25.4 * DPI), round(54.0 / 25.4 * DPI))  # (1011, 638)


def _card(frame: np.ndarray) -> tuple[np.ndarray, bool]:
    """The card at print size; the whole frame resized when no card edge was found."""
    corners = find_page(frame)
    if corners is None:
        return cv2.resize(frame, CARD_PX, interpolation=cv2.INTER_AREA), False
    tl, tr, _, bl = corners
    if np.linalg.norm(bl - tl) > np.linalg.norm(tr - tl):  # photographed upright: turn it flat
        corners = np.roll(corners, -1, axis=0)
    return warp_page(frame, corners, CARD_PX), True


def id_card_page(front: np.ndarray, back: np.ndarray, mode: str = "color") -> Page:
    """One A4 page holding front and back at 1:1, centred in the upper and lower halves."""
    checked: Mode = check_mode(mode)
    canvas = np.full((A4_PX[1], A4_PX[0], 3), 255, np.uint8)
    found = []
    for n, frame in enumerate((front, back)):
        card, ok = _card(frame if frame.ndim == 3 else cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR))
        found.append(ok)
        x = (A4_PX[0] - CARD_PX[0]) // 2
        y = A4_PX[1] // 4 * (1 + 2 * n) - CARD_PX[1] // 2
        canvas[y:y + CARD_PX[1], x:x + CARD_PX[0]] = card
    if not all(found):
        return Page(apply_mode(canvas, checked), checked, None, NO_PAGE_NOTE)
    # Both cards were found: the page is the whole composed A4 canvas.
    whole = np.array([[0, 0], [A4_PX[0], 0], [A4_PX[0], A4_PX[1]], [0, A4_PX[1]]], dtype=np.float32)
    return Page(apply_mode(canvas, checked), checked, whole)
