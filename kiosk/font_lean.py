"""Lean copies of the kiosk's font: the same outlines with their CFF subroutines expanded in place.

Why: Kivy's SDL2 text provider opens one FreeType face per (font, size, bold) it draws (nine on the
resident's screens), and FreeType reads a CFF font's subroutine tables into memory for every face
it opens — ~2 MB each for Noto Sans CJK SC (42,000 local subroutines). A desubroutinized copy draws
exactly the same glyphs (the subroutines are inlined, nothing is re-drawn) and costs ~1 MB a face:
~18 MB less resident memory for the take-a-number screen. The file grows by ~2 MB; FreeType reads
a glyph's outline from the file when it draws it.

Why in the background: expanding 65,535 glyphs with fontTools takes ~30 s of CPU (~1 min on a
small board), once per machine and font version. The kiosk never waits for it: it starts with the
plain face, this job runs at the lowest priority, and the next start finds the lean copy.

``python -m kiosk.font_lean SRC OUT [SRC OUT …]`` (started by ``kiosk.fonts.register_sc_font``).
"""
from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

log = logging.getLogger(__name__)

LOCK = "lean.lock"          # in the cache folder while a job runs (one job per machine at a time)
LOCK_STALE_S = 30 * 60      # a lock older than this was left by a job that died
FAILED = "lean.failed"      # the last failure's reason; the job is not tried again for RETRY_AFTER_S
RETRY_AFTER_S = 24 * 3600   # a full disk or a broken font file does not mend itself within minutes


def lean_path(plain: Path, cache_dir: Path) -> Path:
    """Where the lean copy of the single-face font file ``plain`` goes."""
    return cache_dir / f"{plain.stem}-lean{plain.suffix or '.otf'}"


def make_lean(src: Path, out: Path) -> Path:
    """Write ``src`` with its CFF subroutines expanded to ``out`` (atomically); a font without CFF
    outlines (TrueType) is copied as it is, so it is not tried again."""
    from fontTools.ttLib import TTFont  # type: ignore[import-untyped]  # fontTools ships no types

    font = TTFont(str(src))
    try:
        if "CFF " in font:
            font["CFF "].cff.desubroutinize()
        tmp = out.with_name(f"{out.name}.tmp{os.getpid()}")
        font.save(str(tmp))
    finally:
        font.close()
    tmp.replace(out)   # atomic: a kiosk starting meanwhile reads the plain face or the whole lean one
    return out


def main(argv: list[str]) -> int:
    """Make every (SRC, OUT) pair, at the lowest priority; removes the cache folder's lock at the end."""
    os.nice(19)
    pairs = list(zip(argv[0::2], argv[1::2], strict=True))
    folder = Path(pairs[0][1]).parent if pairs else Path(".")
    try:
        for src, out in pairs:
            make_lean(Path(src), Path(out))
        (folder / FAILED).unlink(missing_ok=True)
    except Exception as e:  # said where the kiosk reads it (kiosk.fonts), not lost with a closed stderr
        (folder / FAILED).write_text(f"{type(e).__name__}: {e}"[:500], encoding="utf-8")
        return 1
    finally:
        if pairs:
            Path(pairs[0][1]).parent.joinpath(LOCK).unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
