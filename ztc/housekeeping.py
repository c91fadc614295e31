"""Daily housekeeping of the bus database (``ztc housekeeping``, run by ztc-housekeeping.timer).

Personal data is kept no longer than needed: scans after their retention once headquarters has the
service record (ScanStore's rule), appointments some days after their slot. Then the WAL is
checkpointed and, when much of the file is free pages, the database is vacuumed — a bus computer's
SD card is small and the file only grows otherwise.
"""
from __future__ import annotations

from typing import Any

from ztc.db import Database
from ztc.documents.storage import ScanStore
from ztc.settings import Settings

ALERT_RETENTION_S = 30 * 86400
VACUUM_FREE_SHARE = 0.25  # vacuum when a quarter of the file is free pages


def run(db: Database, settings: Settings, now: float) -> dict[str, Any]:
    """Do every housekeeping step; returns what each did (for the log and ``--json``)."""
    scans = ScanStore(db, settings.data_dir, settings.devices.camera.scan_retention_days).purge(now)
    appt_cutoff = now - settings.queue.appointment_retention_days * 86400
    with db.write() as conn:
        appointments = conn.execute("DELETE FROM appointments WHERE slot_end < ?", (appt_cutoff,)).rowcount
        alerts = conn.execute("DELETE FROM crew_alerts WHERE dismissed_at < ?",
                              (now - ALERT_RETENTION_S,)).rowcount
    with db.maintenance() as conn:
        busy, wal_pages, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        free = conn.execute("PRAGMA freelist_count").fetchone()[0]
        vacuumed = pages > 0 and free / pages >= VACUUM_FREE_SHARE
        if vacuumed:
            conn.execute("VACUUM")
        conn.execute("PRAGMA optimize")
    return {"scans_purged": scans, "appointments_deleted": appointments, "alerts_deleted": alerts,
            "checkpoint_complete": busy == 0, "wal_pages": wal_pages, "free_pages": free, "pages": pages,
            "vacuumed": vacuumed}
