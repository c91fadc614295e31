"""Perspective correction: map the four page corners to an upright rectangle.

The output size comes from the measured edge lengths (the longer of each opposite pair), so the
text keeps the camera's full resolution instead of being resampled to a fixed size twice.
"""
from __future__ import annotations

import cv2
import numpy as np


def rectified_size(corners: np.ndarray) -> tuple[int, int]:
    """(width, height) of the upright page for corners ordered TL, TR, BR, BL."""
    tl, tr, br, bl = corners.astype(np.float64)
    width = max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl))
    height = max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr))
    return max(1, round(width)), max(1, round(height))


def warp_page(image: np.ndarray, corners: np.ndarray, size: tuple[int, int] | None = None) -> np.ndarray:
    """The page seen square-on; ``size`` forces (width, height) (an ID card at its print size)."""
    width, height = size or rectified_size(corners)
    target = np.array([[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(corners.astype(np.float32), target)
    return cv2.warpPerspective(image, matrix, (width, height), flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_REPLICATE)
