"""Find the Simplified-Chinese face of the Noto CJK fonts, for anything that draws Chinese text.

Why this exists: the Noto CJK fonts ship as one ``.ttc`` collection holding Japanese, Korean, SC,
TC and HK faces, and face 0 is the *Japanese* one. Drawing Chinese with it gives Japanese glyph
forms (e.g. 直, 骨, 次 look wrong to a Chinese reader). So we look the face up by its name.
The ticket printer's raster mode, the virtual printer and the kiosk all use this module.
"""
from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

from PIL import ImageFont

from ztc.text import Text

FONT_MISSING = Text("找不到简体中文字体 {family}",
                    "no {family} font installed "
                    "(install the Debian package fonts-noto-cjk, or set ZTC_FONT=path#index)")

FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"), Path.home() / ".fonts")
SC_FAMILY = "Noto Sans CJK SC"
SC_MONO_FAMILY = "Noto Sans Mono CJK SC"   # Latin exactly half a Chinese character wide, like a printer font
FONT_ENV = "ZTC_FONT"  # "path" or "path#index": an explicit font for machines without Noto CJK


class FontNotFound(Exception):
    """No Simplified-Chinese font is installed; the message says which package provides one."""


@dataclass(frozen=True)
class FontFace:
    path: Path
    index: int
    name: str


def _faces(path: Path) -> list[tuple[int, str, str]]:
    """(index, family, style) of every face in a font file (a .ttc holds several)."""
    out = []
    for index in range(32):
        try:
            font = ImageFont.truetype(str(path), 12, index=index)
        except OSError:
            break
        family, style = font.getname()
        out.append((index, family or "", style or ""))
    return out


@functools.cache
def find_face(family: str = SC_FAMILY, bold: bool = False) -> FontFace:
    """The face named ``family`` (Regular, or Bold when asked and installed)."""
    override = os.environ.get(FONT_ENV)
    if override:
        file, _, face_index = override.partition("#")
        return FontFace(Path(file), int(face_index or 0), "override")
    wanted = "Bold" if bold else "Regular"
    fallback: FontFace | None = None
    for base in FONT_DIRS:
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*CJK*")):
            if path.suffix.lower() not in (".ttc", ".otc", ".otf", ".ttf"):
                continue
            for index, fam, style in _faces(path):
                if fam != family:
                    continue
                face = FontFace(path, index, f"{fam} {style}")
                if style == wanted:
                    return face
                fallback = fallback or face
    if fallback is not None:
        return fallback
    raise FontNotFound(str(FONT_MISSING.format(family=family)))


@functools.cache
def sc_font(size: int, bold: bool = False, mono: bool = False) -> ImageFont.FreeTypeFont:
    """A Pillow font of ``size`` pixels in the Simplified-Chinese face (cached: loading costs ~10 ms)."""
    face = find_face(SC_MONO_FAMILY if mono else SC_FAMILY, bold)
    return ImageFont.truetype(str(face.path), size, index=face.index)
