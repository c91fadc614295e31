"""Alerts for the crew console raised by another role (a ticket that did not print).

In the bus database, so the resident kiosk and the crew console (separate processes) share them
without a side channel, and an alert survives a crash of either.
"""
from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from ztc.db import Database


class CrewAlerts:
    def __init__(self, db: Database, clock: Callable[[], float] = time.time):
        self.db = db
        self.clock = clock

    def raise_alert(self, kind: str, number: str, ticket_id: str | None, detail: str) -> str:
        alert_id = uuid.uuid4().hex
        with self.db.write() as conn:
            conn.execute("INSERT INTO crew_alerts(id, kind, number, ticket_id, detail, ts) VALUES (?,?,?,?,?,?)",
                         (alert_id, kind, number, ticket_id, detail, self.clock()))
        return alert_id

    def open_alerts(self) -> list[dict[str, Any]]:
        """Alerts not yet dismissed, oldest first."""
        with self.db.read() as conn:
            rows = conn.execute("SELECT id, kind, number, ticket_id, detail, ts FROM crew_alerts "
                                "WHERE dismissed_at IS NULL ORDER BY ts, rowid").fetchall()
        return [dict(r) for r in rows]

    def dismiss(self, alert_id: str) -> None:
        with self.db.write() as conn:
            conn.execute("UPDATE crew_alerts SET dismissed_at = ? WHERE id = ? AND dismissed_at IS NULL",
                         (self.clock(), alert_id))
