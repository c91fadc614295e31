"""好差评 at headquarters through the real app (TestClient over a real store): the phone rates or adds
with the ticket's secret, a token of another ticket is refused, the period is Shandong's 5 working
days, a late kiosk rating becomes the rating with the phone entry its addition, a bad rating with a
callback number becomes a case whose deadlines skip the New Year holiday, the steps in order with a
second person for the re-check, the number shown only to the handler (audited) and deleted 30 days
after the case closed."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from tests.hq.conftest import Hq

BJ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 12, 31, 10, 0, tzinfo=BJ).timestamp()  # a Thursday; 1-3 January 2027 are 元旦
PHONE = "13912345678"


def issued(hq: Hq, ticket: str, token: str, ts: float = T0) -> None:
    hq.events(
        "bus-a",
        [
            (
                "ticket.issued",
                ts,
                {"ticket_id": ticket, "number": "A007", "service": "A", "issued_at": ts, "rate_token": token},
            )
        ],
        epoch=f"e-{ticket}",
    )


def kiosk_rating(hq: Hq, ticket: str, level: int, ts: float, reasons: list[str] | None = None) -> None:
    hq.events(
        "bus-a",
        [
            (
                "rating",
                ts,
                {
                    "ticket_id": ticket,
                    "number": "A007",
                    "service": "A",
                    "level": level,
                    "reasons": reasons or [],
                    "window": 2,
                    "crew": "王五",
                },
            )
        ],
        epoch=f"r-{ticket}",
    )


def login(hq: Hq, name: str) -> tuple[object, dict[str, str]]:
    c, csrf = hq.login(name)
    return c, {"X-CSRF-Token": csrf}


def test_phone_rating_needs_the_tickets_own_secret_and_the_period(hq: Hq) -> None:
    hq.clock.now = T0 + 3600
    issued(hq, "t1", "secret-one")
    issued(hq, "t2", "secret-two")
    c = hq.client()
    assert c.get("/api/public/tickets/t1/rating", params={"k": "secret-two"}).status_code == 403  # t2's token
    assert c.get("/api/public/tickets/t1/rating").status_code == 403
    r = c.post("/api/public/tickets/t1/rating", json={"k": "secret-two", "level": 5})
    assert r.status_code == 403 and "不符" in r.json()["detail"]
    view = c.get("/api/public/tickets/t1/rating", params={"k": "secret-one"}).json()
    assert view["last_day"] == "2027-01-07"  # 5 working days counting 31 Dec, skipping 元旦
    r = c.post("/api/public/tickets/t1/rating", json={"k": "secret-one", "level": 4, "text": "很方便"})
    assert r.status_code == 200, r.text
    assert [(e["role"], e["level"], e["source"]) for e in r.json()["entries"]] == [("rating", 4, "phone")]
    hq.clock.now = datetime(2027, 1, 8, 0, 1, tzinfo=BJ).timestamp()
    r = c.post("/api/public/tickets/t1/rating", json={"k": "secret-one", "text": "补充"})
    assert r.status_code == 409 and "2027-01-07" in r.json()["detail"]


def test_late_kiosk_rating_becomes_the_rating_and_the_phone_entry_its_addition(hq: Hq) -> None:
    hq.clock.now = T0 + 7200
    issued(hq, "t3", "k3")
    c = hq.client()
    assert c.post("/api/public/tickets/t3/rating", json={"k": "k3", "level": 3, "text": "等了很久"}).status_code == 200
    kiosk_rating(hq, "t3", 2, T0 + 600, ["efficiency"])  # made on the bus before, arrived after (offline)
    entries = c.get("/api/public/tickets/t3/rating", params={"k": "k3"}).json()["entries"]
    assert [(e["role"], e["source"], e["level"]) for e in entries] == [("rating", "kiosk", 2), ("addition", "phone", 3)]
    assert entries[0]["reason_texts"] == [
        "服务效率低（等候久、办理慢） / Service efficiency (long wait, slow handling)"
    ]
    r = c.post("/api/public/tickets/t3/rating", json={"k": "k3", "text": "后来工作人员打电话解释了"})
    assert [e["role"] for e in r.json()["entries"]] == ["rating", "addition", "addition"]  # kept, never replaced


def test_old_reason_codes_stay_readable(hq: Hq) -> None:
    hq.clock.now = T0
    issued(hq, "t9", "k9")
    kiosk_rating(hq, "t9", 1, T0 - 60, ["wait_long"])
    c, _ = hq.login()
    case = c.get("/api/v1/cases").json()[0]
    assert case["reasons"][0]["text"] == "等待时间太长 / Waited too long"


def test_bad_rating_with_callback_is_a_case_worked_step_by_step(hq: Hq) -> None:
    hq.clock.now = T0
    issued(hq, "t5", "k5")
    kiosk_rating(hq, "t5", 1, T0 - 60, ["attitude"])
    hq.events(
        "bus-a",
        [("rating.callback", T0 - 30, {"ticket_id": "t5", "number": "A007", "phone": PHONE, "consent": "cb-1"})],
        epoch="cb",
    )
    raw = hq.store.query("SELECT data FROM events WHERE type = 'rating.callback'")[0]["data"]
    assert PHONE not in raw and "phone_held" in raw  # the number never sits in the events table
    duty, h = login(hq, "duty")
    admin, ha = login(hq, "chief")
    case = duty.get("/api/v1/cases/t5").json()
    assert case["status"] == "callback" and case["phone_masked"] == "139****5678"
    due = datetime.fromtimestamp(case["callback_due"], BJ)
    assert due.date().isoformat() == "2027-01-05"  # end of 4 Jan, the first working day after 元旦
    assert datetime.fromtimestamp(case["deadline"], BJ).date().isoformat() == "2027-01-09"  # end of 8 Jan
    assert duty.post("/api/v1/cases/t5/phone", headers=h).status_code == 403  # not the handler yet
    assert duty.post("/api/v1/cases/t5/assign", json={"handler": "duty"}, headers=h).status_code == 200
    assert admin.post("/api/v1/cases/t5/phone", headers=ha).status_code == 403  # an admin is not the handler
    assert duty.post("/api/v1/cases/t5/phone", headers=h).json() == {"phone": PHONE}
    opened = [e for e in hq.ctx.audit.search(BJ, kind="case_phone")]
    assert [(e.actor, e.target) for e in opened] == [("duty", "t5")]
    step = lambda who, hdr, **b: who.post("/api/v1/cases/t5/steps", json=b, headers=hdr)  # noqa: E731
    assert step(duty, h, step="verify", note="x", reason_class="fix_now").status_code == 422  # callback first
    assert step(duty, h, step="callback", note="").status_code == 422  # a written note is required
    hq.clock.now = T0 + 3600
    assert step(duty, h, step="callback", note="已电话联系，群众反映窗口人员态度生硬").json()["status"] == "verify"
    r = step(duty, h, step="verify", note="属实", reason_class="fix_now")
    assert r.json()["status"] == "action" and r.json()["justified"] is True
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 64
    assert (
        duty.post(
            "/api/v1/cases/t5/evidence",
            params={"name": "会议.png"},
            content=b"GIF89a",
            headers=h | {"Content-Type": "image/png"},
        ).status_code
        == 422
    )
    ev = duty.post(
        "/api/v1/cases/t5/evidence", params={"name": "会议.png"}, content=png, headers=h | {"Content-Type": "image/png"}
    )
    assert ev.status_code == 200, ev.text
    assert step(duty, h, step="action", note="已约谈窗口人员并组织服务规范培训").json()["status"] == "recheck"
    r = step(duty, h, step="recheck", note="自己复核", ok=True)
    assert r.status_code == 422 and "另一名" in r.json()["detail"]
    hq.clock.now = T0 + 2 * 86400
    admin, ha = login(hq, "chief")  # sessions end after hours; the re-check is two days later
    closed = step(admin, ha, step="recheck", note="复核属实，已回告群众", ok=True).json()
    assert "status" in closed, closed
    assert closed["status"] == "closed" and closed["resolution"] == "已约谈窗口人员并组织服务规范培训"
    assert [s["step"] for s in closed["steps"]] == ["open", "assign", "callback", "verify", "action", "recheck"]
    assert [s["actor"] for s in closed["steps"]][-1] == "chief"
    assert admin.get(f"/api/v1/cases/t5/evidence/{ev.json()['id']}").content == png
    figures = admin.get("/api/v1/cases/figures").json()
    assert figures["bad"] == 1 and figures["callback_rate"] == 1.0 and figures["fix_rate"] == 1.0
    assert figures["avg_days_to_close"] == 2.0
    pdf = admin.get("/api/v1/report.pdf", params={"date": "2026-12-31"})  # the daily report lists the case
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    # Housekeeping with a controlled clock: kept 30 days after closing, then gone.
    hq.clock.now = T0 + 2 * 86400 + 29 * 86400
    assert hq.ctx.cases.purge_contacts(hq.clock.now) == 0
    hq.clock.now = T0 + 2 * 86400 + 30 * 86400 + 1
    assert hq.ctx.cases.purge_contacts(hq.clock.now) == 1
    assert not hq.store.query("SELECT 1 FROM case_contacts")
    assert PHONE not in str(hq.store.query("SELECT * FROM events")) + str(duty.get("/api/v1/cases/t5").json())


def test_unjustified_rating_closes_with_its_reason_after_a_recheck(hq: Hq) -> None:
    hq.clock.now = T0
    issued(hq, "t6", "k6")
    kiosk_rating(hq, "t6", 2, T0 - 60, ["overall"])
    duty, h = login(hq, "duty")
    admin, ha = login(hq, "chief")
    assert duty.get("/api/v1/cases/t6").json()["status"] == "verify"  # no number left: nothing to call
    duty.post("/api/v1/cases/t6/assign", json={"handler": "duty"}, headers=h)
    r = duty.post(
        "/api/v1/cases/t6/steps",
        json={"step": "verify", "note": "该事项依法须本人到场，已解释", "reason_class": "no_basis"},
        headers=h,
    ).json()
    assert r["status"] == "recheck" and r["justified"] is False
    r = admin.post("/api/v1/cases/t6/steps", json={"step": "recheck", "note": "同意", "ok": True}, headers=ha).json()
    assert r["status"] == "closed" and r["resolution"] == "该事项依法须本人到场，已解释"


def test_overdue_case_is_escalated_to_the_admins(hq: Hq) -> None:
    hq.clock.now = T0
    issued(hq, "t7", "k7")
    kiosk_rating(hq, "t7", 1, T0 - 60, ["attitude"])
    admin, _ = hq.login()
    assert next(a for a in admin.get("/api/v1/alerts").json() if a["kind"] == "rating")["severity"] == "warning"
    hq.clock.now = datetime(2027, 1, 9, 0, 1, tzinfo=BJ).timestamp()  # past the 5th working day
    admin, _ = hq.login()
    alert = next(a for a in admin.get("/api/v1/alerts").json() if a["kind"] == "rating")
    assert alert["severity"] == "error" and alert["escalate_to"] == "admin" and "上报管理员" in alert["text"]
    steps = admin.get("/api/v1/cases/t7").json()["steps"]
    assert [s["step"] for s in steps].count("escalate") == 1
    admin.get("/api/v1/alerts")
    assert [s["step"] for s in admin.get("/api/v1/cases/t7").json()["steps"]].count("escalate") == 1


def test_housekeeping_command_deletes_the_number_after_the_retention(tmp_path, hq_url: str) -> None:
    """``ztc hq housekeeping`` as a real process on the store: the number of a case closed 31 days ago
    goes, the one of an open case stays."""
    import subprocess
    import sys
    import time

    import yaml

    from hq.storage import HqStore

    store = HqStore.open(hq_url)
    with store.transaction() as c:
        c.execute("INSERT INTO case_contacts(ticket_id, bus, phone, consent, source, received_at, purge_after) "
                  "VALUES ('old', 'bus-a', ?, 'cb-1', 'kiosk', 0, ?)", (PHONE, time.time() - 86400))
        c.execute("INSERT INTO case_contacts(ticket_id, bus, phone, consent, source, received_at, purge_after) "
                  "VALUES ('open', 'bus-a', '13800001111', 'cb-1', 'kiosk', 0, NULL)")
    store.close()
    config = tmp_path / "hq.yaml"
    config.write_text(yaml.safe_dump({"data_dir": str(tmp_path / "bus"), "hq": {"database_url": hq_url}}))
    r = subprocess.run([sys.executable, "-m", "ztc_cli", "--config", str(config), "hq", "housekeeping"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "numbers deleted: 1" in r.stdout
    store = HqStore.open(hq_url)
    assert [row["ticket_id"] for row in store.query("SELECT ticket_id FROM case_contacts")] == ["open"]
    store.close()


def test_bad_rating_from_the_phone_with_a_callback_number(hq: Hq) -> None:
    hq.clock.now = T0 + 600
    issued(hq, "t8", "k8")
    c = hq.client()
    body = {"k": "k8", "level": 2, "reasons": ["efficiency"], "text": "等了一个小时", "phone": "139-1234-5678"}
    r = c.post("/api/public/tickets/t8/rating", json=body)
    assert r.status_code == 422 and "同意" in r.json()["detail"]  # no number without the consent
    assert c.post("/api/public/tickets/t8/rating", json=body | {"consent": True, "phone": "12345"}).status_code == 422
    assert c.post("/api/public/tickets/t8/rating", json=body | {"consent": True}).status_code == 200
    duty, _ = login(hq, "duty")
    case = duty.get("/api/v1/cases/t8").json()
    assert case["status"] == "callback" and case["phone_masked"] == "139****5678" and case["text"] == "等了一个小时"
    assert [e["source"] for e in case["ratings"]] == ["phone"]
    assert PHONE not in str(duty.get("/api/v1/cases/t8").json())


def test_an_invalid_callback_event_is_held_with_the_number_masked(hq: Hq) -> None:
    """Through the ingest's contract check: a malformed number is quarantined, masked, never a contact."""
    from tests.hq.test_hardening import inbound, ingest_of

    hq.clock.now = T0
    bad = {"epoch": "bad", "events": [{"seq": 1, "id": "cb-bad", "type": "rating.callback", "ts": T0,
                                       "data": {"ticket_id": "t4", "phone": "1391234567890", "consent": "cb-1"}}]}
    good = {"epoch": "good", "events": [{"seq": 1, "id": "cb-good", "type": "rating.callback", "ts": T0,
                                         "data": {"ticket_id": "t5", "phone": PHONE, "consent": "cb-1"}}]}
    ingest = ingest_of(hq)
    ingest.handle(inbound("bus-a", "events", bad))
    ingest.handle(inbound("bus-a", "events", good))
    held = bytes(hq.store.query("SELECT raw FROM quarantine")[0]["raw"]).decode()
    assert "1391234567890" not in held and "7890" in held
    assert [r["ticket_id"] for r in hq.store.query("SELECT ticket_id FROM case_contacts")] == ["t5"]
    assert PHONE not in str(hq.store.query("SELECT data FROM events"))


def test_the_rating_secret_is_never_shown_by_the_read_api(hq: Hq) -> None:
    """Staff and local tools read ticket.issued through /api/v1/events and the public ticket page; the
    secret that lets its holder rate stays inside headquarters (it still opens the phone page)."""
    hq.clock.now = T0 + 3600
    issued(hq, "t1", "secret-one")
    c, _ = hq.login()
    seen = [e for e in c.get("/api/v1/events").json() if e["type"] == "ticket.issued"]
    assert seen and seen[0]["data"]["ticket_id"] == "t1" and "rate_token" not in seen[0]["data"]
    assert "secret-one" not in c.get("/api/public/tickets/t1").text
    assert hq.client().get("/api/public/tickets/t1/rating", params={"k": "secret-one"}).status_code == 200
