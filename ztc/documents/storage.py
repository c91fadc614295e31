"""Scan storage: PDFs under ``data_dir/scans/<day>/``, one ``scans`` row each, and their deletion.

Retention rule (privacy and disk space against "nothing is lost"): a scan linked to a ticket is
deleted only when BOTH the retention has passed AND headquarters has acknowledged the ticket's
service record, i.e. ``records.event_seq`` exists and the outbox no longer holds that seq (the
agent deletes acknowledged rows). A ticket that was never served has no record, so its scans are
kept. A scan linked to no ticket (made from the command line) waits only for the retention.
"""
from __future__ import annotations

import contextlib
import errno
import os
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from ztc.db import Database

SCANS_DIR = "scans"

PURGEABLE_SQL = """
SELECT s.id, s.path FROM scans s
WHERE s.purged_at IS NULL AND s.created_at <= :cutoff
  AND (s.ticket_id IS NULL
       OR EXISTS (SELECT 1 FROM records r WHERE r.ticket_id = s.ticket_id
                  AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.seq = r.event_seq)))
ORDER BY s.created_at
"""


class ScanStorageError(Exception):
    """A scan could not be stored; nothing half-written is left behind."""


class ScanStore:
    """Saves scan PDFs atomically and purges them by the retention rule above."""

    def __init__(self, db: Database, data_dir: str | os.PathLike[str], retention_days: float,
                 clock: Callable[[], float] = time.time):
        self.db = db
        self.root = Path(data_dir) / SCANS_DIR
        self.retention_s = retention_days * 86400
        self.clock = clock

    def save(self, pdf: bytes, pages: int, mode: str, ticket_id: str | None = None) -> dict[str, Any]:
        """Write the PDF (temp file, fsync, rename) and record it; returns the scan row as a dict."""
        now = self.clock()
        scan_id = uuid.uuid4().hex
        folder = self.root / datetime.fromtimestamp(now).strftime("%Y-%m-%d")
        path = folder / f"{scan_id}.pdf"
        tmp = path.with_suffix(".part")
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with open(tmp, "wb") as f:
                f.write(pdf)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except OSError as e:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
            if e.errno == errno.ENOSPC:
                raise ScanStorageError("存储空间已满，扫描未保存 / "
                                       f"storage full, the scan was not saved ({folder})") from e
            raise ScanStorageError(f"扫描无法保存 / the scan cannot be saved: {path}: {e.strerror}") from e
        row = {"id": scan_id, "ticket_id": ticket_id, "path": str(path), "pages": pages, "mode": mode,
               "created_at": now, "purged_at": None}
        try:
            with self.db.write() as conn:
                conn.execute("INSERT INTO scans(id, ticket_id, path, pages, mode, created_at) "
                             "VALUES (:id, :ticket_id, :path, :pages, :mode, :created_at)", row)
        except Exception:
            path.unlink(missing_ok=True)   # no row, no file: the caller's error says what happened
            raise
        return row

    def get(self, scan_id: str) -> dict[str, Any] | None:
        with self.db.read() as conn:
            row = conn.execute("SELECT * FROM scans WHERE id = ?", (scan_id,)).fetchone()
        return dict(row) if row else None

    def for_ticket(self, ticket_id: str) -> list[dict[str, Any]]:
        with self.db.read() as conn:
            rows = conn.execute("SELECT * FROM scans WHERE ticket_id = ? ORDER BY created_at", (ticket_id,)).fetchall()
        return [dict(r) for r in rows]

    def purgeable(self, now: float | None = None) -> list[tuple[str, str]]:
        """(id, path) of scans the retention rule allows to delete now."""
        cutoff = (self.clock() if now is None else now) - self.retention_s
        with self.db.read() as conn:
            return [(r[0], r[1]) for r in conn.execute(PURGEABLE_SQL, {"cutoff": cutoff}).fetchall()]

    def purge(self, now: float | None = None) -> int:
        """Delete every purgeable scan file and mark its row; returns how many. Safe to repeat."""
        now = self.clock() if now is None else now
        done = 0
        for scan_id, path in self.purgeable(now):
            try:
                Path(path).unlink(missing_ok=True)
            except OSError:
                continue   # try again next time; the row stays unpurged
            with self.db.write() as conn:
                conn.execute("UPDATE scans SET purged_at = ? WHERE id = ? AND purged_at IS NULL", (now, scan_id))
            done += 1
        return done
