"""The audit log: recorded in the change's transaction, searchable by person, day and kind, and
impossible to alter or to delete before 180 days through the database ztc uses."""
from __future__ import annotations

import sqlite3
from datetime import date
from zoneinfo import ZoneInfo

import psycopg
import pytest

from hq.audit import AuditLog
from tests.hq.conftest import Hq

BEIJING = ZoneInfo("Asia/Shanghai")
REFUSED = (sqlite3.DatabaseError, psycopg.DatabaseError)  # the triggers' refusal on each backend
# 2026-12-01 23:30 Beijing = 15:30 UTC; 2026-12-02 00:30 Beijing = 16:30 UTC
LATE, EARLY_NEXT = 1796139000.0, 1796142600.0


def test_entries_are_found_by_person_kind_and_beijing_day(hq: Hq) -> None:
    log = hq.ctx.audit
    log.record_alone(at=LATE, actor="ops1", client="10.0.0.5", kind="booking", target="appt:1",
                     before=None, after={"slot": "09:00"})
    log.record_alone(at=EARLY_NEXT, actor="ops1", client="10.0.0.5", kind="booking_phone", target="appt:1")
    log.record_alone(at=EARLY_NEXT, actor="admin", client="10.0.0.6", kind="account", target="user:ops2",
                     before={"role": "operator"}, after={"role": "admin"})
    assert [e.kind for e in log.search(BEIJING, actor="ops1")] == ["booking_phone", "booking"]
    assert [e.target for e in log.search(BEIJING, day_from=date(2026, 12, 2), day_to=date(2026, 12, 2))] \
        == ["user:ops2", "appt:1"]
    (first,) = log.search(BEIJING, day_to=date(2026, 12, 1))
    assert first.after == {"slot": "09:00"} and first.client == "10.0.0.5"
    assert log.search(BEIJING, kind="account")[0].before == {"role": "operator"}


def test_a_change_and_its_record_commit_together(hq: Hq) -> None:
    log = hq.ctx.audit
    with pytest.raises(RuntimeError), hq.store.transaction() as c:
        log.record(c, at=LATE, actor="ops1", client="x", kind="calendar", target="bus:B1")
        raise RuntimeError("the change itself failed")
    assert log.search(BEIJING) == []


def test_rows_cannot_be_changed_or_deleted_young(hq: Hq) -> None:
    log = hq.ctx.audit
    now = hq.clock()
    log.record_alone(at=now, actor="ops1", client="x", kind="case", target="case:1", after={"status": "closed"})
    log.record_alone(at=now - 200 * 86400, actor="ops1", client="x", kind="case", target="case:0")
    with pytest.raises(REFUSED, match="cannot be changed"), hq.store.transaction() as c:
        c.execute("UPDATE audit_log SET actor = 'someone else'")
    with pytest.raises(REFUSED, match="cannot be changed"), hq.store.transaction() as c:
        c.execute("UPDATE audit_log SET actor = 'someone else' WHERE target = 'case:0'")  # old rows too
    with pytest.raises(REFUSED, match="kept 180 days"), hq.store.transaction() as c:
        c.execute("DELETE FROM audit_log")
    with pytest.raises(REFUSED, match="kept 180 days"), hq.store.transaction() as c:
        c.execute("DELETE FROM audit_log WHERE target = 'case:1'")
    if hq.store.dialect == "postgresql":  # TRUNCATE skips row triggers: refused by its own
        with pytest.raises(REFUSED, match="no TRUNCATE"), hq.store.transaction() as c:
            c.execute("TRUNCATE audit_log")
    assert len(hq.store.query("SELECT id FROM audit_log")) == 2
    assert log.purge(now) == 1  # only the 200-day-old row
    assert [e.target for e in log.search(BEIJING)] == ["case:1"]
    assert AuditLog(hq.store, retention_days=30).retention_days == 180


def test_unknown_kinds_are_refused(hq: Hq) -> None:
    with pytest.raises(ValueError, match="unknown audit kind"):
        hq.ctx.audit.record_alone(at=LATE, actor="a", client="x", kind="whatever", target="t")
