"""The lean font draws exactly what the plain one draws, holds no subroutines (what costs memory per
face), and the kiosk switches to it once the background job has made it."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from fontTools import subset
from fontTools.ttLib import TTFont
from PIL import Image, ImageChops, ImageDraw, ImageFont

from drivers.fonts import find_face
from kiosk.font_lean import LOCK, lean_path, make_lean
from kiosk.fonts import lean_faces, standalone_face, wait_for_lean

TEXT = "直骨次取号办事请留意叫号前面还有人 A007 Take a number"


def _subrs(path: Path) -> int:
    cff = TTFont(str(path))["CFF "].cff
    top = cff.topDictIndex[0]
    privates = [fd.Private for fd in top.FDArray] if hasattr(top, "FDArray") else [top.Private]
    return len(cff.GlobalSubrs) + sum(len(p.Subrs) for p in privates if hasattr(p, "Subrs"))


def _draw(path: Path, text: str, size: int) -> Image.Image:
    img = Image.new("L", (40 * len(text), size * 2), 0)
    ImageDraw.Draw(img).text((4, 4), text, font=ImageFont.truetype(str(path), size), fill=255)
    return img


@pytest.fixture(scope="module")
def small_sc_font(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The SC face cut down to TEXT's glyphs, subroutines kept (as in the shipped font), so a test
    expands a few glyphs instead of 65,535."""
    out_dir = tmp_path_factory.mktemp("font")
    plain = standalone_face(find_face(), out_dir)
    options = subset.Options()
    options.desubroutinize = False
    options.name_IDs = ["*"]
    font = TTFont(str(plain))
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=TEXT)
    subsetter.subset(font)
    out = out_dir / "small-sc.otf"
    font.save(str(out))
    assert _subrs(out) > 0, "the test font must still use subroutines"
    return out


def test_lean_copy_draws_the_same_pixels_without_subroutines(small_sc_font: Path, tmp_path: Path) -> None:
    lean = make_lean(small_sc_font, tmp_path / "lean.otf")
    assert _subrs(lean) == 0
    for size in (24, 36, 56):
        assert ImageChops.difference(_draw(small_sc_font, TEXT, size), _draw(lean, TEXT, size)).getbbox() is None


def test_kiosk_uses_plain_face_until_the_background_job_made_the_lean_one(small_sc_font: Path,
                                                                          tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = lean_faces(cache, [small_sc_font, small_sc_font])
    assert first == [small_sc_font, small_sc_font]            # never waits: the plain face at once
    assert wait_for_lean(cache, 120), "the lean-font job did not finish"
    assert not (cache / LOCK).exists()
    lean = lean_path(small_sc_font, cache)
    assert lean_faces(cache, [small_sc_font]) == [lean]       # the next start gets the lean copy
    assert _subrs(lean) == 0
    assert not (cache / LOCK).exists()                        # nothing left to make: no job started


def test_a_running_job_is_not_started_twice(small_sc_font: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / LOCK).write_text(str(os.getpid()))              # a live process is making it
    assert lean_faces(cache, [small_sc_font]) == [small_sc_font]
    assert (cache / LOCK).read_text() == str(os.getpid())
    assert not wait_for_lean(cache, 1.0)                      # still "running": nothing was started
    assert not lean_path(small_sc_font, cache).exists()


def test_a_lock_left_by_a_dead_job_is_taken_over(small_sc_font: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (cache / LOCK).write_text(str(dead.pid))                  # killed with its kiosk, say
    assert lean_faces(cache, [small_sc_font]) == [small_sc_font]
    assert wait_for_lean(cache, 120)
    assert lean_path(small_sc_font, cache).is_file()


def test_a_failed_job_says_why_and_is_not_retried_at_every_start(tmp_path: Path,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    """A font file that cannot be read (or a full disk) leaves its reason where the kiosk logs it, and
    the next start does not spend another 30 s of CPU on the same failure."""
    from kiosk.font_lean import FAILED, main
    from kiosk.fonts import start_lean_job

    broken = tmp_path / "broken.otf"
    broken.write_bytes(b"not a font")
    cache = tmp_path / "cache"
    cache.mkdir()
    assert main([str(broken), str(cache / "broken-lean.otf")]) == 1
    reason = (cache / FAILED).read_text(encoding="utf-8")
    assert reason and not (cache / LOCK).exists()
    with caplog.at_level("WARNING", logger="kiosk.fonts"):
        assert start_lean_job(cache, [(broken, cache / "broken-lean.otf")]) is None
    assert "上次未能生成" in caplog.text and reason.strip() in caplog.text
    assert not (cache / LOCK).exists()
