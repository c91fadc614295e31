"""The Simplified-Chinese face really is SC (not the collection's Japanese face 0), and every text
exists in both languages with the same placeholders."""
from __future__ import annotations

import string

from fontTools.ttLib import TTFont
from PIL import Image, ImageChops, ImageDraw, ImageFont

from drivers.fonts import find_face
from kiosk.fonts import standalone_face
from kiosk.i18n import STRINGS, t


def _glyph(path: str, index: int, ch: str) -> Image.Image:
    img = Image.new("L", (120, 120), 0)
    ImageDraw.Draw(img).text((10, 0), ch, font=ImageFont.truetype(path, 96, index=index), fill=255)
    return img


def test_extracted_face_is_simplified_chinese(tmp_path):
    face = find_face()
    out = standalone_face(face, tmp_path)
    names = {r.toUnicode() for r in TTFont(str(out))["name"].names if r.nameID in (1, 4)}
    assert any("CJK SC" in n for n in names), names
    assert standalone_face(face, tmp_path) == out                  # cached: extracted once
    # 直 and 骨 are drawn differently in Japanese and Chinese: the extracted face matches the SC face
    # of the collection, and not face 0.
    for ch in "直骨":
        extracted = _glyph(str(out), 0, ch)
        assert ImageChops.difference(extracted, _glyph(str(face.path), face.index, ch)).getbbox() is None
        assert ImageChops.difference(extracted, _glyph(str(face.path), 0, ch)).getbbox() is not None


def test_every_text_in_both_languages():
    for key, (zh, en) in STRINGS.items():
        assert zh.strip() and en.strip(), key
        fields = lambda s: {f for _, f, _, _ in string.Formatter().parse(s) if f}  # noqa: E731
        assert fields(zh) == fields(en), key
    assert t("now_calling", "zh", number="A007", window=1) == "请 A007 号 到 1 号窗口"
    assert t("take", "en") == "Take a number"
