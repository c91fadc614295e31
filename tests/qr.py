"""Reading a printed QR code back, for the tests of the ticket and of the stop notice."""
from __future__ import annotations

import cv2
import numpy as np
from PIL import Image


def decode_qr(img: Image.Image) -> str:
    """Read a QR code from a picture with OpenCV (an independent decoder, not our encoder)."""
    gray = np.array(img.convert("L"))
    # OpenCV's finder is picky about module size and nearby text, so try a few views of the picture;
    # whatever decodes is compared with the expected URL by the caller, so this cannot cause a false pass.
    for scale in (1, 2, 3):
        arr = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST) if scale > 1 else gray
        arr = cv2.copyMakeBorder(arr, 40, 40, 40, 40, cv2.BORDER_CONSTANT, value=255)
        for detector in (cv2.QRCodeDetector(), cv2.QRCodeDetectorAruco()):
            data, _, _ = detector.detectAndDecode(arr)
            if data:
                return data
    return ""
