"""One owner per device, the tables: the owner's published health (fresh, stale, another boot) and
print requests (claimed once, expired when old or given up, never printed after)."""
from __future__ import annotations

import threading

import pytest

from ztc import wallclock
from ztc.db import device_health, open_database, print_requests


@pytest.fixture
def db(tmp_path):
    d = open_database(tmp_path / "bus.db")
    yield d
    d.close()


def test_health_row_is_read_back_with_its_figures(db):
    device_health.publish(db, "ticket_printer", {"state": "error", "detail": "缺纸 / paper out", "paper": "out",
                                                 "connected": True}, "resident pid 1")
    got = device_health.read(db)["ticket_printer"]
    assert got["state"] == "error" and got["detail"] == "缺纸 / paper out"
    assert got["paper"] == "out" and got["connected"] is True and 0 <= got["age_s"] < 5
    with db.read() as conn:
        assert conn.execute("SELECT owner FROM device_health").fetchone()[0] == "resident pid 1"


def test_no_row_means_the_owner_never_ran(db):
    got = device_health.read(db)["ticket_printer"]
    assert got["state"] == "offline" and got["stale"] is True
    assert got["detail"] == ("号票机状态未更新（前台未运行？） / "
                             "ticket printer state not updated (resident kiosk not running?)")


def test_a_row_older_than_30_s_on_the_boot_clock_is_stale(db):
    device_health.publish(db, "ticket_printer", {"state": "ok", "detail": "正常 / ok"}, "resident")
    now = wallclock.uptime()
    fresh = device_health.read(db, uptime=now + device_health.STALE_AFTER_S - 1)["ticket_printer"]
    assert fresh["state"] == "ok"
    stale = device_health.read(db, uptime=now + device_health.STALE_AFTER_S + 1)["ticket_printer"]
    assert stale["state"] == "offline" and stale["stale"] and "前台未运行" in stale["detail"]
    assert stale["age_s"] > device_health.STALE_AFTER_S
    other_boot = device_health.read(db, boot="another-boot")["ticket_printer"]   # written before a reboot
    assert other_boot["state"] == "offline" and other_boot["stale"]


def test_a_request_is_claimed_once_and_finished(db):
    rid = print_requests.request(db, "reprint", "ticket-1", "7")
    assert print_requests.get(db, rid).state == "pending"
    got: list[print_requests.PrintRequest | None] = []
    threads = [threading.Thread(target=lambda: got.append(print_requests.claim(db))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    claimed = [r for r in got if r is not None]
    assert len(claimed) == 1 and claimed[0].id == rid and claimed[0].ticket_id == "ticket-1"
    assert print_requests.get(db, rid).state == "printing"
    assert not print_requests.give_up(db, rid)          # too late to take it back: it is printing
    print_requests.finish(db, rid, True, "F003")
    done = print_requests.get(db, rid)
    assert done.state == "done" and done.detail == "F003" and done.done_at is not None and done.final


def test_a_request_older_than_60_s_expires_and_is_never_printed(db):
    rid = print_requests.request(db, "test")
    later = wallclock.uptime() + print_requests.EXPIRE_S + 1
    assert print_requests.claim(db, uptime=later) is None
    req = print_requests.get(db, rid)
    assert req.state == "expired" and "过期" in req.detail
    assert print_requests.claim(db) is None             # and stays expired: nothing to print, ever
    from_last_boot = print_requests.request(db, "test")
    assert print_requests.claim(db, boot="the-next-boot") is None
    assert print_requests.get(db, from_last_boot).state == "expired"


def test_a_requester_that_gives_up_expires_it(db):
    rid = print_requests.request(db, "test", requested_by="cli")
    seen: list[str] = []
    req = print_requests.wait(db, rid, on_state=lambda r: seen.append(r.state), answer_s=0.3, poll_s=0.05)
    assert req.state == "expired" and seen == ["pending", "expired"]
    assert "前台未应答" in req.detail
    assert print_requests.claim(db) is None             # a resident kiosk starting now does not print it


def test_a_print_interrupted_by_a_restart_is_failed_not_retried(db):
    rid = print_requests.request(db, "reprint", "t")
    assert print_requests.claim(db) is not None
    assert print_requests.fail_interrupted(db) == 1
    req = print_requests.get(db, rid)
    assert req.state == "failed" and "结果未知" in req.detail


def test_finished_requests_are_purged_after_a_week_open_ones_never(db):
    import time

    done = print_requests.request(db, "test")
    print_requests.claim(db)
    print_requests.finish(db, done, True, "A001")
    waiting = print_requests.request(db, "test")
    assert print_requests.purge(db, now=time.time() + print_requests.KEEP_S - 60) == 0
    assert print_requests.purge(db, now=time.time() + print_requests.KEEP_S + 60) == 1
    assert print_requests.get(db, done) is None and print_requests.get(db, waiting).state == "pending"


def test_unknown_kinds_are_refused_by_the_table(db):
    from ztc.db import StorageError

    with pytest.raises(StorageError):
        print_requests.request(db, "poster")  # type: ignore[arg-type]
