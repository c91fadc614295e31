"""Headquarters files are created private: the database holds password hashes, sessions and the
record of every bus, so it is ``0600`` and a folder made for it ``0700``.

SQLite creates the ``-wal`` and ``-shm`` files with the database file's own mode, so making the
database file first (before SQLite does, with the process umask, typically world-readable) is
enough. A database found readable by others is tightened and the log says so.
"""
from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

log = logging.getLogger(__name__)

FILE_MODE, DIR_MODE = 0o600, 0o700


def private_file(path: Path) -> None:
    """Make ``path``'s folder (0700, only if it is new) and the file itself (0600)."""
    if not path.parent.exists():
        path.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_RDWR, FILE_MODE)
    os.close(fd)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        log.warning("总部数据库权限过宽，已改为 0600 / %s was readable by others (%o): now 0600", path, mode)
        for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            if p.exists():
                p.chmod(FILE_MODE)
