"""Give Kivy a Simplified-Chinese face.

Why: Kivy's SDL2 text provider opens a font file at face 0, and face 0 of the Noto CJK ``.ttc``
collections is the *Japanese* face (直, 骨, 次 come out in Japanese glyph forms). So we write the SC
face of the collection out once as a standalone ``.otf`` (fontTools, ~1 s) into a cache folder under
the data dir, and register that file as Kivy's default font, so every Label draws SC forms.
The font lookup itself is shared with the ticket printer (``drivers.fonts``).
"""
from __future__ import annotations

import logging
import os
from pathlib import Path

from drivers.fonts import FontFace, FontNotFound, find_face

log = logging.getLogger(__name__)

KIVY_DEFAULT_FONT = "Roboto"  # kivy.core.text.DEFAULT_FONT: what every widget uses unless told


def standalone_face(face: FontFace, cache_dir: Path) -> Path:
    """A single-face font file for ``face``: the file itself, or the face extracted from a collection."""
    if face.path.suffix.lower() not in (".ttc", ".otc") and face.index == 0:
        return face.path
    stat = face.path.stat()
    out = cache_dir / f"{face.path.stem}-{face.index}-{int(stat.st_mtime)}-{stat.st_size}.otf"
    if out.is_file() and out.stat().st_size > 0:
        return out
    from fontTools.ttLib import TTCollection  # only needed the first time

    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(f".tmp{os.getpid()}")
    collection = TTCollection(str(face.path), lazy=True)
    try:
        collection.fonts[face.index].save(str(tmp))
    finally:
        collection.close()
    tmp.replace(out)  # atomic: two roles starting together never read a half-written file
    log.info("extracted %s face %d to %s", face.path, face.index, out)
    return out


def register_sc_font(cache_dir: Path) -> tuple[Path, Path]:
    """Register the SC face (regular and bold) as Kivy's default font; returns the files used."""
    from kivy.core.text import LabelBase

    regular = standalone_face(find_face(bold=False), cache_dir)
    try:
        bold = standalone_face(find_face(bold=True), cache_dir)
    except (FontNotFound, OSError) as e:
        log.warning("no bold SC face (%s); using regular for bold", e)
        bold = regular
    LabelBase.register(name=KIVY_DEFAULT_FONT, fn_regular=str(regular), fn_bold=str(bold))
    LabelBase.register(name="ZtcSans", fn_regular=str(regular), fn_bold=str(bold))
    return regular, bold
