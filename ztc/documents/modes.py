"""Output modes of a captured page: ``color``, ``gray`` and ``bw`` (black text on white).

``bw`` is what forms need: the shadow of the camera arm or a hand is removed by dividing by an
estimate of the paper's brightness (a heavy blur of a small copy: cheap and smooth), then an
adaptive threshold keeps thin strokes that one global threshold would lose in the darker corner.
"""
from __future__ import annotations

from typing import Literal

import cv2
import numpy as np

Mode = Literal["color", "gray", "bw"]
MODES: tuple[Mode, ...] = ("color", "gray", "bw")
BACKGROUND_LONG_SIDE = 256     # px; the paper's brightness varies slowly, a small copy is enough
THRESHOLD_BLOCK = 31           # px neighbourhood of the adaptive threshold (≈ 2 text strokes)
THRESHOLD_C = 12               # how much darker than its surroundings a pixel must be to be ink


def to_gray(image: np.ndarray) -> np.ndarray:
    return image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)


def remove_shadow(gray: np.ndarray) -> np.ndarray:
    """Flatten uneven lighting: the page's paper becomes ~white everywhere, ink stays dark."""
    h, w = gray.shape
    scale = BACKGROUND_LONG_SIDE / max(h, w)
    small = cv2.resize(gray, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    # Dilation removes the (thin, dark) ink so only the paper's brightness is left, then smooth it.
    paper = cv2.dilate(small, np.ones((7, 7), np.uint8))
    paper = cv2.medianBlur(paper, 21)
    paper = cv2.resize(paper, (w, h), interpolation=cv2.INTER_LINEAR)
    return cv2.divide(gray, paper, scale=255)


def to_bw(image: np.ndarray) -> np.ndarray:
    """Two-tone page: every pixel is 0 (ink) or 255 (paper)."""
    flat = remove_shadow(to_gray(image))
    return cv2.adaptiveThreshold(flat, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY,
                                 THRESHOLD_BLOCK, THRESHOLD_C)


def apply_mode(image: np.ndarray, mode: Mode) -> np.ndarray:
    """The page image in ``mode``; BGR for color, single channel for gray and bw."""
    if mode == "color":
        return image
    if mode == "gray":
        return to_gray(image)
    if mode == "bw":
        return to_bw(image)
    raise ValueError(f"未知模式 {mode!r} / unknown mode {mode!r} (color, gray or bw)")
