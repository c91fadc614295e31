"""Give Kivy a Simplified-Chinese face.

Why: Kivy's SDL2 text provider opens a font file at face 0, and face 0 of the Noto CJK ``.ttc``
collections is the *Japanese* face (直, 骨, 次 come out in Japanese glyph forms). So we write the SC
face of the collection out once as a standalone ``.otf`` (fontTools, ~1 s) into a cache folder under
the data dir, and register that file as Kivy's default font, so every Label draws SC forms.
The font lookup itself is shared with the ticket printer (``drivers.fonts``). Once a lean copy of
that file exists (CFF subroutines expanded: ~2 MB less memory per font size Kivy opens, see
``kiosk.font_lean``) Kivy gets the lean copy; until then the plain one, while a background job
makes the lean copy for the next start.
"""
from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from drivers.fonts import FontFace, FontNotFound, find_face
from kiosk.font_lean import FAILED, LOCK, LOCK_STALE_S, RETRY_AFTER_S, lean_path

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
    # Only needed the first time; fontTools ships no types (no py.typed, no stubs package).
    from fontTools.ttLib import TTCollection  # type: ignore[import-untyped]

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


def lean_faces(cache_dir: Path, plain: list[Path]) -> list[Path]:
    """The lean copy of each single-face file where it exists, else the file itself; starts the
    background job that makes the missing copies (once: a running job holds the lock)."""
    chosen: list[Path] = []
    missing: list[tuple[Path, Path]] = []
    for path in plain:
        lean = lean_path(path, cache_dir)
        if lean.is_file() and lean.stat().st_size > 0:
            chosen.append(lean)
        else:
            chosen.append(path)
            if (path, lean) not in missing:
                missing.append((path, lean))
    if missing:
        start_lean_job(cache_dir, missing)
    return chosen


def start_lean_job(cache_dir: Path, pairs: list[tuple[Path, Path]]) -> subprocess.Popen[bytes] | None:
    """Run ``kiosk.font_lean`` for ``pairs`` in its own low-priority process; None if one runs already."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    lock = cache_dir / LOCK
    for _ in range(2):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            break
        except FileExistsError:
            if _lock_held(lock):
                return None              # another kiosk process is making them
            lock.unlink(missing_ok=True)  # left by a job that died (killed with the kiosk, a crash)
    else:
        return None
    os.close(fd)
    failed = cache_dir / FAILED
    if failed.is_file() and time.time() - failed.stat().st_mtime < RETRY_AFTER_S:
        lock.unlink(missing_ok=True)
        log.warning("字体精简副本上次未能生成 / the lean font copy could not be made last time (%s); "
                    "the kiosk keeps the plain font and tries again after a day",
                    failed.read_text(encoding="utf-8", errors="replace").strip())
        return None
    args = [str(p) for pair in pairs for p in pair]
    try:
        proc = subprocess.Popen([sys.executable, "-m", "kiosk.font_lean", *args], stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    except OSError as e:
        lock.unlink(missing_ok=True)
        log.warning("cannot start the lean-font job (%s); the kiosk keeps the plain font", e)
        return None
    lock.write_text(str(proc.pid))   # whoever finds the lock can tell whether the job still runs
    log.info("making lean copies of %s in the background (pid %d)", ", ".join(p.name for p, _ in pairs), proc.pid)
    threading.Thread(target=proc.wait, name="font-lean-reaper", daemon=True).start()  # no zombie left behind
    return proc


def _lock_held(lock: Path) -> bool:
    """True while the job named in ``lock`` runs (a lock just taken has no pid yet: held)."""
    try:
        age = time.time() - lock.stat().st_mtime
        text = lock.read_text().strip()
    except FileNotFoundError:
        return False
    if age > LOCK_STALE_S:
        return False
    if not text:
        return True
    try:
        os.kill(int(text), 0)
    except ProcessLookupError:
        return False
    except (ValueError, PermissionError):
        return True
    return True


def wait_for_lean(cache_dir: Path, timeout: float) -> bool:
    """Block until no lean-font job runs in ``cache_dir`` (benchmarks: measure the font the kiosk keeps)."""
    deadline = time.monotonic() + timeout
    while (cache_dir / LOCK).exists():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.5)
    return True


def register_sc_font(cache_dir: Path, lean: bool = True) -> tuple[Path, Path]:
    """Register the SC face (regular and bold) as Kivy's default font; returns the files used."""
    from kivy.core.text import LabelBase  # type: ignore[import-untyped]  # Kivy ships no types

    regular = standalone_face(find_face(bold=False), cache_dir)
    try:
        bold = standalone_face(find_face(bold=True), cache_dir)
    except (FontNotFound, OSError) as e:
        log.warning("no bold SC face (%s); using regular for bold", e)
        bold = regular
    if lean:
        regular, bold = lean_faces(cache_dir, [regular, bold])
    LabelBase.register(name=KIVY_DEFAULT_FONT, fn_regular=str(regular), fn_bold=str(bold))
    LabelBase.register(name="ZtcSans", fn_regular=str(regular), fn_bold=str(bold))
    return regular, bold
