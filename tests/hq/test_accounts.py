"""The password policy, account changes (role, disable, reset) and the audit records every staff change
leaves: log-ins and failed ones, log-outs, accounts, announcements, publishing, cases, stops, the
liaison phone, the route calendar; and the housekeeping that deletes only rows past 180 days."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from hq import housekeeping
from hq.auth import Accounts, AuthError
from hq.passwords import WeakPassword, check_password
from tests.hq.conftest import ADMIN, OPERATOR, PASSWORD, REPO, Hq, shipped_catalog
from tests.hq.test_management import rating

BEIJING = ZoneInfo("Asia/Shanghai")
GOOD = "qiaotou-bus-2026"


@pytest.mark.parametrize(("password", "rule"), [
    ("abc12345", "length"), ("aaaaaaaaaa", "repeat"), ("abcabcabcabc", "repeat"), ("1234567890", "sequence"),
    ("0987654321", "sequence"), ("qwertyuiop", "sequence"), ("asdfghjkl;'", "sequence"),
    ("password123", "common"), ("iloveyou1234", "common"), ("zhangsan-2026", "name"), ("ZhangSan-bus-7", "name")])
def test_weak_passwords_are_refused_naming_the_rule(password: str, rule: str) -> None:
    with pytest.raises(WeakPassword) as e:
        check_password(password, "zhangsan")
    assert e.value.rule == rule
    assert str(e.value)[0] >= "\u4e00"  # Chinese first


@pytest.mark.parametrize("password", [GOOD, "Tr4vel-bus-2026", "correct horse 1", "南麻 新村 直通车 2026"])
def test_good_passwords_pass(password: str) -> None:
    check_password(password, "zhangsan")


def test_role_disable_and_reset(hq: Hq) -> None:
    accounts: Accounts = hq.ctx.accounts
    accounts.add_user("ops2", "operator", GOOD, hq.clock())
    token, _ = accounts.login("ops2", GOOD, hq.clock())
    assert accounts.change("ops2", None, role="admin").role == "admin"
    accounts.change("ops2", None, disabled=True)
    assert accounts.session(token, hq.clock()) is None  # its session ended at once
    with pytest.raises(AuthError, match="已停用"):
        accounts.login("ops2", GOOD, hq.clock())
    accounts.change("ops2", None, disabled=False, password="nanma-xincun-77")
    with pytest.raises(AuthError, match="密码错误"):
        accounts.login("ops2", GOOD, hq.clock())
    assert accounts.login("ops2", "nanma-xincun-77", hq.clock())[1].user.role == "admin"
    with pytest.raises(AuthError, match="连续"):
        accounts.change("ops2", None, password="1234567890")
    accounts.change("ops2", None, disabled=True)
    with pytest.raises(AuthError, match="最后一个管理员"):  # chief is the only active admin left
        accounts.change(ADMIN, None, role="operator")


def test_only_admins_change_accounts(hq: Hq) -> None:
    c, csrf = hq.login(OPERATOR)
    r = c.post(f"/api/v1/users/{ADMIN}", json={"disabled": True}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 403
    a, acsrf = hq.login()
    r = a.post(f"/api/v1/users/{OPERATOR}", json={"password": "short"}, headers={"X-CSRF-Token": acsrf})
    assert r.status_code == 422 and "至少 10 位" in r.json()["detail"]
    r = a.post(f"/api/v1/users/{OPERATOR}", json={"disabled": True}, headers={"X-CSRF-Token": acsrf})
    assert r.json() == {"name": OPERATOR, "role": "operator", "disabled": True}
    assert c.get("/api/v1/me").status_code == 401


def kinds(hq: Hq, **query: str) -> list[tuple[str, str, str]]:
    return [(e.kind, e.actor, e.target) for e in hq.ctx.audit.search(BEIJING, **query)][::-1]  # type: ignore[arg-type]


def test_log_ins_and_log_outs_are_audited(hq: Hq) -> None:
    c = hq.client("198.51.100.7")
    assert c.post("/api/v1/login", json={"name": "nobody", "password": "guess it"}).status_code == 401
    assert c.post("/api/v1/login", json={"name": OPERATOR, "password": PASSWORD}).status_code == 200
    csrf = c.get("/api/v1/me").json()["csrf"]
    assert c.post("/api/v1/logout", headers={"X-CSRF-Token": csrf}).status_code == 200
    assert kinds(hq) == [("login_failed", "nobody", "user:nobody"), ("login", OPERATOR, f"user:{OPERATOR}"),
                         ("logout", OPERATOR, f"user:{OPERATOR}")]
    failed = hq.ctx.audit.search(BEIJING, kind="login_failed")[0]
    assert failed.client == "198.51.100.7" and "guess it" not in str(failed.after)  # never the password


def test_account_records_hold_role_and_state_never_a_password(hq: Hq) -> None:
    c, csrf = hq.login()
    h = {"X-CSRF-Token": csrf}
    assert c.post("/api/v1/users", json={"name": "ops2", "role": "operator", "password": "1234567890"},
                  headers=h).status_code == 422
    assert c.post("/api/v1/users", json={"name": "ops2", "role": "operator", "password": GOOD},
                  headers=h).status_code == 201
    c.post("/api/v1/users/ops2", json={"role": "admin"}, headers=h)
    c.post("/api/v1/users/ops2", json={"password": "nanma-xincun-77"}, headers=h)
    entries = hq.ctx.audit.search(BEIJING, kind="account")[::-1]
    assert [(e.before, e.after) for e in entries] == [
        (None, {"role": "operator", "disabled": False}),
        ({"role": "operator", "disabled": False}, {"role": "admin", "disabled": False}),
        ({"role": "admin", "disabled": False}, {"role": "admin", "disabled": False, "password": "重置 / reset"})]
    rows = hq.store.query("SELECT before, after FROM audit_log")
    assert not any(GOOD in str(tuple(r)) or "nanma-xincun-77" in str(tuple(r)) or "argon2" in str(tuple(r))
                   for r in rows)


def test_every_staff_change_is_audited(hq: Hq) -> None:
    c, csrf = hq.login(OPERATOR)
    a, acsrf = hq.login()
    h, ah = {"X-CSRF-Token": csrf}, {"X-CSRF-Token": acsrf}
    assert a.post("/api/v1/documents/catalog", json=shipped_catalog(), headers=ah).status_code == 201
    assert c.post("/api/v1/buses/bus-a/announce", json={"text_zh": "明天停运"}, headers=h).status_code == 201
    now = hq.clock()
    hq.events("bus-a", [rating(1, now - 60)])
    case = c.get("/api/v1/cases").json()[0]
    assert c.post(f"/api/v1/cases/{case['id']}/assign", json={"handler": OPERATOR}, headers=h).status_code == 200
    stop = {"name_zh": "南麻街道新村社区", "lat": 36.18, "lon": 118.17, "liaison_phone": "13912345678"}
    assert c.put("/api/v1/stops/nanma", json=stop, headers=h).status_code == 200
    assert c.get("/api/v1/stops/nanma/liaison-phone").status_code == 200
    r = c.post("/api/v1/route/bus-a/templates", headers=h,
               json={"weekday": 0, "stop": "nanma", "arrive": "09:00", "depart": "11:00", "services": ["A"]})
    assert r.status_code == 201, r.text
    assert c.delete(f"/api/v1/route/bus-a/templates/{r.json()['id']}", headers=h).status_code == 200
    assert c.delete("/api/v1/stops/nanma", headers=h).status_code == 200
    done = [k for k in kinds(hq) if k[0] not in ("login", "login_failed")]
    assert done == [("catalog", ADMIN, "catalog:fleet"), ("announcement", OPERATOR, "bus:bus-a"),
                    ("case", OPERATOR, case["id"]), ("stop", OPERATOR, "stop:nanma"),
                    ("liaison_phone", OPERATOR, "stop:nanma"), ("calendar", OPERATOR, "bus:bus-a"),
                    ("calendar", OPERATOR, "bus:bus-a"), ("stop", OPERATOR, "stop:nanma")]
    (case_entry,) = hq.ctx.audit.search(BEIJING, kind="case")
    assert case_entry.before["handler"] is None and case_entry.after["handler"] == OPERATOR
    saved = hq.ctx.audit.search(BEIJING, kind="stop")[-1]
    assert saved.after["liaison_phone"] == "139****5678" and "13912345678" not in str(hq.store.query(
        "SELECT before, after FROM audit_log"))  # the log itself keeps the phone masked


def test_housekeeping_deletes_only_rows_past_180_days(hq: Hq, tmp_path: Path) -> None:
    now = hq.clock()
    for age_days in (181, 179, 0):
        hq.ctx.audit.record_alone(at=now - age_days * 86400, actor="a", client="x", kind="login", target=str(age_days))
    assert housekeeping.run(hq.ctx, now)["audit_purged"] == 1
    assert sorted(e.target for e in hq.ctx.audit.search(BEIJING)) == ["0", "179"]


def test_housekeeping_command(tmp_path: Path, hq_url: str) -> None:
    cfg = tmp_path / "ztc.yaml"
    cfg.write_text(yaml.safe_dump({"hq": {"database_url": hq_url},
                                   "data_dir": str(tmp_path)}))
    r = subprocess.run([sys.executable, "-m", "ztc_cli", "--config", str(cfg), "hq", "housekeeping"],
                       capture_output=True, text=True, cwd=REPO, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "audit rows past retention deleted: 0" in r.stdout
