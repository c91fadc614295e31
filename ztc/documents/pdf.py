"""Encode pages and assemble a multi-page A4 PDF with img2pdf.

Why img2pdf: it embeds a JPEG byte for byte and a CCITT Group 4 TIFF as a CCITTFax stream, so
the PDF costs no second lossy encode and a black-and-white form page stays ~50 KB instead of
~1 MB. Every page is fitted into A4 portrait (or landscape for a landscape page).
"""
from __future__ import annotations

import io

import cv2
import img2pdf  # type: ignore[import-untyped]  # img2pdf ships no py.typed, and no stub package exists
import numpy as np
from PIL import Image

A4_PT = (img2pdf.mm_to_pt(210), img2pdf.mm_to_pt(297))
JPEG_QUALITY = 85


def encode_jpeg(image: np.ndarray, quality: int = JPEG_QUALITY) -> bytes:
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("JPEG 编码失败 / JPEG encoding failed")
    return buf.tobytes()


def encode_g4(bw: np.ndarray) -> bytes:
    """A 0/255 image as a single-strip CCITT G4 TIFF (the form img2pdf embeds without decoding)."""
    img = Image.fromarray(bw).convert("1", dither=Image.Dither.NONE)
    out = io.BytesIO()
    # One strip (RowsPerStrip = height): img2pdf can only pass a single G4 strip through.
    img.save(out, format="TIFF", compression="group4", tiffinfo={278: bw.shape[0]})
    return out.getvalue()


def encode_page_image(image: np.ndarray, mode: str) -> bytes:
    """JPEG for color and gray pages, G4 TIFF for bw pages."""
    return encode_g4(image) if mode == "bw" else encode_jpeg(image)


def _layout(pagesize: tuple[float, float]) -> object:
    return img2pdf.get_layout_fun(pagesize=pagesize, fit=img2pdf.FitMode.into, auto_orient=True)


def build_pdf(encoded_pages: list[bytes], title: str = "ztc scan") -> bytes:
    """One PDF, one A4 page per encoded image, in order."""
    if not encoded_pages:
        raise ValueError("没有页面 / no pages to put into the PDF")
    pdf: bytes = img2pdf.convert(encoded_pages, layout_fun=_layout(A4_PT), title=title,
                                 producer="ztc", creator="ztc", nodate=True)  # bytes without an outputstream
    return pdf
