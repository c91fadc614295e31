"""Daily housekeeping: personal data past its retention goes, nothing else does, and the file shrinks."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from ztc import housekeeping
from ztc.db import outbox
from ztc.documents.storage import ScanStore

DAY = 86400


def _served_ticket(engine) -> dict:
    engine.arrive_adhoc("测试点")
    engine.open_window(1, "007", ["G"])
    t = engine.issue("G")
    engine.call_next(1)
    engine.complete(1, "G01", "completed")
    return t


def test_expired_personal_data_goes_and_the_rest_stays(engine, settings, clock):
    t = _served_ticket(engine)
    now = clock()
    engine.replace_appointments([
        {"id": "old", "code": "111111", "stop": None, "slot_start": now - 30 * DAY, "slot_end": now - 29 * DAY,
         "service": "D", "name_masked": "王*", "phone_last4": "1234", "needs": ""},
        {"id": "soon", "code": "222222", "stop": None, "slot_start": now + 40 * DAY, "slot_end": now + 40 * DAY + 600,
         "service": "D", "name_masked": "李*", "phone_last4": "5678", "needs": ""},
    ])
    store = ScanStore(engine.db, settings.data_dir, settings.devices.camera.scan_retention_days, clock)
    scan = store.save(b"%PDF-1.4 fake", 1, "bw", ticket_id=t.id)
    with engine.db.write() as conn:  # headquarters acknowledged everything so far
        outbox.acknowledge(conn, 10**9)
    clock.advance((settings.devices.camera.scan_retention_days + 1) * DAY)
    result = housekeeping.run(engine.db, settings, clock())
    assert result["scans_purged"] == 1 and not Path(scan["path"]).exists()
    assert result["appointments_deleted"] == 1 and result["checkpoint_complete"]
    with engine.db.read() as conn:
        left = [r[0] for r in conn.execute("SELECT id FROM appointments")]
        assert conn.execute("SELECT COUNT(*) FROM tickets").fetchone()[0] == 1   # records are not personal data
    assert left == ["soon"]
    again = housekeeping.run(engine.db, settings, clock())
    assert again["scans_purged"] == 0 and again["appointments_deleted"] == 0


def test_unacknowledged_scans_are_kept(engine, settings, clock):
    t = _served_ticket(engine)
    store = ScanStore(engine.db, settings.data_dir, settings.devices.camera.scan_retention_days, clock)
    scan = store.save(b"%PDF-1.4 fake", 1, "bw", ticket_id=t.id)
    clock.advance(365 * DAY)
    assert housekeeping.run(engine.db, settings, clock())["scans_purged"] == 0
    assert Path(scan["path"]).exists()


def test_vacuum_when_much_of_the_file_is_free(engine, settings, clock):
    engine.arrive_adhoc("测试点")
    for _ in range(1500):
        engine.issue("F")
    with engine.db.write() as conn:
        outbox.acknowledge(conn, 10**9)  # most of the file becomes free pages
    size_before = engine.db.path.stat().st_size + Path(str(engine.db.path) + "-wal").stat().st_size
    result = housekeeping.run(engine.db, settings, clock())
    assert result["vacuumed"] is True
    assert engine.db.path.stat().st_size < size_before
    with engine.db.read() as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT COUNT(*) FROM tickets").fetchone()[0] == 1500


def test_housekeeping_command(tmp_path):
    env = {**os.environ, "ZTC_DATA_DIR": str(tmp_path)}
    r = subprocess.run([sys.executable, "-m", "ztc_cli", "housekeeping", "--json"], capture_output=True, text=True,
                       env=env, timeout=60)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["ok"] is True and out["scans_purged"] == 0 and "vacuumed" in out
