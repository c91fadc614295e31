"""Crew accounts in the bus database: hashed PINs, lockout shared by every process."""
from __future__ import annotations

import pytest

from tests.support import FakeClock
from ztc.db import open_database
from ztc.domain.crew import CrewAccounts


@pytest.fixture
def accounts(settings):
    clock = FakeClock()
    db = open_database(settings.db_path)
    yield CrewAccounts(db, clock, max_failures=3, lockout_s=300), clock, db
    db.close()


def test_pin_is_stored_only_as_a_hash(accounts):
    acc, _, db = accounts
    assert acc.verify("007", "1234").reason == "no_accounts"
    acc.set_pin("007", "1234")
    with db.read() as conn:
        stored = conn.execute("SELECT pin_hash FROM crew WHERE number = '007'").fetchone()[0]
    assert "1234" not in stored and stored.startswith("$argon2id$")
    assert acc.verify("007", "1234").ok
    assert not acc.verify("007", "4321").ok


def test_lockout_after_failures_and_release_after_time(accounts):
    acc, clock, _ = accounts
    acc.set_pin("007", "1234")
    assert acc.verify("007", "0000").tries_left == 2
    assert acc.verify("007", "0000").tries_left == 1
    locked = acc.verify("007", "0000")
    assert locked.reason == "locked" and locked.locked_for_s == 300
    assert acc.verify("007", "1234").reason == "locked"  # even the right PIN
    clock.advance(301)
    assert acc.verify("007", "1234").ok


def test_lockout_is_seen_by_another_process(accounts, settings):
    acc, clock, _ = accounts
    acc.set_pin("007", "1234")
    for _ in range(3):
        acc.verify("007", "9999")
    other = CrewAccounts(open_database(settings.db_path), clock, max_failures=3, lockout_s=300)
    assert other.verify("007", "1234").reason == "locked"


def test_unknown_number_looks_like_a_wrong_pin(accounts):
    acc, _, _ = accounts
    acc.set_pin("007", "1234")
    assert acc.verify("008", "1234").reason == "wrong"
    assert acc.verify("not-a-number", "1234").reason == "wrong"


def test_bad_numbers_and_pins_are_refused(accounts):
    acc, _, _ = accounts
    with pytest.raises(ValueError, match="PIN"):
        acc.set_pin("007", "12")
    with pytest.raises(ValueError, match="crew number"):
        acc.set_pin("abc", "1234")


def test_alerts_are_shared_through_the_database(settings):
    from ztc.domain.alerts import CrewAlerts
    resident = CrewAlerts(open_database(settings.db_path))
    crew = CrewAlerts(open_database(settings.db_path))
    first = resident.raise_alert("print_failed", "A001", "t-1", "打印机缺纸 / printer out of paper")
    resident.raise_alert("print_failed", "A002", "t-2", "打印机缺纸 / printer out of paper")
    assert [a["number"] for a in crew.open_alerts()] == ["A001", "A002"]
    crew.dismiss(first)
    assert [a["number"] for a in resident.open_alerts()] == ["A002"]
