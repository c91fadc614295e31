"""An independent record of every event the bus creates, kept inside the bus database.

The agent deletes outbox rows once headquarters acknowledges them, so the test cannot read "what
the bus created" from the outbox at the end. A trigger added to the test's bus database copies
every outbox row the moment it is written — by any process (kiosk, agent) — into a table the
product never reads or deletes. Comparing that copy with headquarters proves exactly-once delivery.
"""
from __future__ import annotations

import json
from typing import Any

from ztc.db import Database

LEDGER_SQL = (
    "CREATE TABLE IF NOT EXISTS scenario_ledger (seq INTEGER PRIMARY KEY, id TEXT NOT NULL, type TEXT NOT NULL, "
    "ts REAL NOT NULL, data TEXT NOT NULL)",
    "CREATE TRIGGER IF NOT EXISTS scenario_ledger_copy AFTER INSERT ON outbox BEGIN "
    "INSERT INTO scenario_ledger(seq, id, type, ts, data) VALUES (NEW.seq, NEW.id, NEW.type, NEW.ts, NEW.data); END",
    # A ``track`` row gains positions until it is first published (telemetry/track.py): keep the latest.
    "CREATE TRIGGER IF NOT EXISTS scenario_ledger_amend AFTER UPDATE OF data ON outbox BEGIN "
    "UPDATE scenario_ledger SET data = NEW.data WHERE seq = NEW.seq; END",
)


def install(db: Database) -> None:
    with db.write() as conn:
        for statement in LEDGER_SQL:
            conn.execute(statement)


def created_events(db: Database) -> list[dict[str, Any]]:
    with db.read() as conn:
        rows = conn.execute("SELECT seq, id, type, ts, data FROM scenario_ledger ORDER BY seq").fetchall()
    return [{"seq": r[0], "id": r[1], "type": r[2], "ts": r[3], "data": json.loads(r[4])} for r in rows]
