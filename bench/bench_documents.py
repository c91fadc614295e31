"""Document pipeline on an 8 MP photo: median ms per page, beside a bare decode + warp + encode.

Both are measured interleaved in the same loop on the same JPEG bytes, so a busy machine slows
both alike. The bare steps use the true corners (no detection), warp in colour and JPEG-encode;
the pipeline decodes, detects the page, warps, applies the mode and encodes the page as it goes
into the PDF (JPEG, or CCITT G4 for bw). Target (issue 4): median ≤ 150 ms and ≤ 1.5× the bare.
"""
from __future__ import annotations

import json
import os
import statistics
import time
from pathlib import Path

import cv2
import numpy as np

from bench import Row
from ztc.documents.pdf import encode_jpeg, encode_page_image
from ztc.documents.pipeline import decode_image, process_frame
from ztc.documents.warp import warp_page

TARGET_MS = 150.0
TARGET_RATIO = 1.5


def _fixtures() -> Path:
    env = os.environ.get("ZTC_SHARED_DIR")
    shared = Path(env) if env else Path(__file__).resolve().parents[1] / ".." / "shared"
    return shared / "fixtures" / "documents"


def _bare(data: bytes, corners: np.ndarray) -> bytes:
    frame = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    return encode_jpeg(warp_page(frame, corners))


def _pipeline(data: bytes, mode: str) -> bytes:
    page = process_frame(decode_image(data), mode)
    return encode_page_image(page.image, page.mode)


def run(quick: bool = False) -> list[Row]:
    folder = _fixtures()
    data = (folder / "form-1.jpg").read_bytes()
    corners = np.array(json.loads((folder / "corners.json").read_text())["form-1.jpg"], dtype=np.float32)
    reps = 5 if quick else 21
    rows = []
    for mode in ("color", "gray", "bw"):
        bare_ms, pipe_ms = [], []
        _bare(data, corners), _pipeline(data, mode)   # warm caches and thread pools
        for _ in range(reps):
            t0 = time.perf_counter()
            _bare(data, corners)
            t1 = time.perf_counter()
            _pipeline(data, mode)
            t2 = time.perf_counter()
            bare_ms.append((t1 - t0) * 1000)
            pipe_ms.append((t2 - t1) * 1000)
        value, baseline = statistics.median(pipe_ms), statistics.median(bare_ms)
        rows.append(Row(
            name=f"documents: pipeline {mode}, 8 MP photo, median per page",
            value=value, unit="ms", baseline=baseline,
            baseline_name="decode + warp (colour, known corners) + JPEG encode of the same photo",
            target=f"≤ {TARGET_MS:.0f} ms and ≤ {TARGET_RATIO}× baseline",
            ok=value <= TARGET_MS and value <= TARGET_RATIO * baseline))
    return rows
