"""The pure document pipeline on the shared fixtures: corners, perspective, modes, PDF, ID card."""
from __future__ import annotations

import io

import cv2
import numpy as np
import pikepdf
import pytest
from pikepdf import PdfImage

from ztc.documents.detect import find_page, order_corners
from ztc.documents.idcard import A4_PX, CARD_PX, id_card_page
from ztc.documents.pdf import encode_jpeg
from ztc.documents.pipeline import decode_image, pages_to_pdf, process_frame

A4_PT = sorted((595.28, 841.89))
FORMS = ["form-1.jpg", "form-2.jpg", "form-3.jpg"]


def load(documents_dir, name):
    return cv2.imread(str(documents_dir / name))


def pdf_images(pdf_bytes):
    pdf = pikepdf.open(io.BytesIO(pdf_bytes))
    return pdf, [next(iter(page.get_images().values())) for page in pdf.pages]


@pytest.mark.parametrize("name", FORMS)
def test_detected_corners_within_1_5_percent_of_the_diagonal(documents_dir, true_corners, name):
    frame = load(documents_dir, name)
    found = find_page(frame)
    assert found is not None
    diagonal = float(np.hypot(*frame.shape[:2]))
    error = np.linalg.norm(found - np.array(true_corners[name], dtype=np.float32), axis=1)
    assert error.max() <= 0.015 * diagonal, f"{name}: worst corner off by {error.max():.1f} px"


def test_corners_are_ordered_whatever_order_they_come_in():
    square = np.array([[10, 10], [90, 12], [88, 95], [8, 92]], dtype=np.float32)
    for shift in range(4):
        shuffled = np.roll(square, shift, axis=0)[::-1]
        assert np.array_equal(order_corners(shuffled), square)


def test_perspective_leaves_only_paper(documents_dir):
    frame = load(documents_dir, "form-1.jpg")
    page = process_frame(frame, "gray")
    assert page.found and page.note == ""
    desk = np.median(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)[:150, :150])
    h, w = page.image.shape
    border = np.concatenate([page.image[20:40, w // 4: 3 * w // 4].ravel(),            # top strip
                             page.image[h // 4: 3 * h // 4, w - 40: w - 20].ravel()])  # right strip
    assert np.median(border) > desk + 60, "the straightened page still shows the desk at its edges"
    # The page is about as large as the paper in the photo (full resolution is kept).
    assert 1800 < w < 2400 and 1800 < h < 2400


def test_modes_give_colour_grey_and_two_tone(documents_dir):
    frame = load(documents_dir, "form-2.jpg")
    assert process_frame(frame, "color").image.ndim == 3
    assert process_frame(frame, "gray").image.ndim == 2
    bw = process_frame(frame, "bw").image
    values = set(np.unique(bw).tolist())
    assert values == {0, 255}
    assert 0.002 < (bw == 0).mean() < 0.2, "bw should be mostly white paper with some black ink"
    edges = np.concatenate([bw[:8].ravel(), bw[-8:].ravel(), bw[:, :8].ravel(), bw[:, -8:].ravel()])
    assert (edges == 0).mean() < 0.01, "no dark frame from the desk along the page edges"


def test_bw_removes_the_shadow(documents_dir):
    # The fixtures have a shadow from the left: no large black blob may remain in the bw page.
    bw = process_frame(load(documents_dir, "form-1.jpg"), "bw").image
    h, w = bw.shape
    left, right = bw[h // 2:, w // 20: w // 4], bw[h // 2:, 3 * w // 4: 19 * w // 20]   # blank lower half
    assert (left == 0).mean() < 0.02 and (right == 0).mean() < 0.02


def test_no_page_keeps_the_whole_frame_and_says_so():
    rng = np.random.default_rng(1)
    frame = rng.integers(90, 110, size=(600, 800, 3), dtype=np.uint8)   # an empty desk
    page = process_frame(frame, "color")
    assert not page.found and page.corners is None
    assert page.image.shape == frame.shape
    assert "no page" in page.note and "未找到" in page.note


def test_unknown_mode_is_named():
    with pytest.raises(ValueError, match="sepia"):
        process_frame(np.zeros((10, 10, 3), np.uint8), "sepia")


def test_garbage_bytes_are_not_an_image():
    with pytest.raises(ValueError, match="not a readable image"):
        decode_image(b"\x00garbage" * 10, "x.jpg")


def test_pdf_has_one_a4_page_per_photo_and_keeps_jpeg_bytes(documents_dir):
    pages = [process_frame(load(documents_dir, n), "color") for n in FORMS]
    pdf, images = pdf_images(pages_to_pdf(pages))
    assert len(pdf.pages) == 3
    for page in pdf.pages:
        assert sorted(float(v) for v in page.mediabox[2:]) == pytest.approx(A4_PT, abs=0.1)
    assert images[0].Filter == "/DCTDecode"
    assert images[0].read_raw_bytes() == encode_jpeg(pages[0].image)   # embedded, not re-encoded


def test_bw_pages_are_ccitt_g4_and_two_tone_in_the_pdf(documents_dir):
    pages = [process_frame(load(documents_dir, n), "bw") for n in FORMS[:2]]
    pdf, images = pdf_images(pages_to_pdf(pages))
    assert len(pdf.pages) == 2
    for raw in images:
        filters = list(raw.Filter) if isinstance(raw.Filter, pikepdf.Array) else [raw.Filter]
        assert filters == ["/CCITTFaxDecode"]
        decoded = np.array(PdfImage(raw).as_pil_image().convert("L"))
        assert set(np.unique(decoded).tolist()) == {0, 255}
        assert decoded.shape == pages[0].image.shape or decoded.shape == pages[1].image.shape


def test_id_card_front_and_back_on_one_a4_page(documents_dir):
    page = id_card_page(load(documents_dir, "form-1.jpg"), load(documents_dir, "form-3.jpg"))
    assert page.image.shape[:2] == (A4_PX[1], A4_PX[0])
    gray = cv2.cvtColor(page.image, cv2.COLOR_BGR2GRAY)
    x0 = (A4_PX[0] - CARD_PX[0]) // 2
    for centre_y in (A4_PX[1] // 4, 3 * A4_PX[1] // 4):
        card = gray[centre_y - CARD_PX[1] // 2 + 20: centre_y + CARD_PX[1] // 2 - 20, x0 + 20: x0 + CARD_PX[0] - 20]
        assert card.min() < 100, "a card's content (dark print) is on the page"
    assert gray[A4_PX[1] // 2 - 100: A4_PX[1] // 2 + 100].min() == 255, "white between the two cards"
    assert gray[:, : x0 - 5].min() == 255, "white margin left of the cards (true size, centred)"
    pdf, _ = pdf_images(pages_to_pdf([page]))
    assert len(pdf.pages) == 1
    assert sorted(float(v) for v in pdf.pages[0].mediabox[2:]) == pytest.approx(A4_PT, abs=0.1)


def test_id_card_without_visible_cards_keeps_the_frames_and_says_so():
    blank = np.full((480, 640, 3), 120, np.uint8)
    page = id_card_page(blank, blank)
    assert not page.found and "no page" in page.note
    assert page.image.shape[:2] == (A4_PX[1], A4_PX[0])
