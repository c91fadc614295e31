"""Staff accounts: argon2 hashes, log-in and log-out, CSRF refusal, roles, lockout after failed
log-ins, the dashboard behind log-in, and ``ztc hq user add`` reading the password from stdin."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from hq.auth import Accounts
from hq.storage import HqStore
from tests.hq.conftest import ADMIN, OPERATOR, PASSWORD, REPO, Hq, shipped_catalog


def test_passwords_are_stored_as_argon2id(hq: Hq) -> None:
    hashes = [r["hash"] for r in hq.store.query("SELECT hash FROM users")]
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)
    assert not any(PASSWORD in h for h in hashes)


def test_login_sets_a_strict_httponly_cookie_and_logout_ends_the_session(hq: Hq) -> None:
    c = hq.client()
    assert c.get("/", follow_redirects=False).headers["location"] == "/login"
    r = c.post("/api/v1/login", json={"name": ADMIN, "password": PASSWORD})
    assert r.status_code == 200 and r.json()["role"] == "admin"
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert c.get("/", follow_redirects=False).status_code == 200
    assert c.get("/api/v1/me").json()["name"] == ADMIN
    csrf = r.json()["csrf"]
    assert c.post("/api/v1/logout", headers={"X-CSRF-Token": csrf}).status_code == 200
    assert c.get("/api/v1/me").status_code == 401
    assert c.get("/", follow_redirects=False).status_code == 303


def test_wrong_password_and_unknown_user_get_the_same_answer(hq: Hq) -> None:
    c = hq.client()
    a = c.post("/api/v1/login", json={"name": ADMIN, "password": "wrong password"})
    b = c.post("/api/v1/login", json={"name": "nobody", "password": "wrong password"})
    assert a.status_code == b.status_code == 401
    assert a.json()["detail"] == b.json()["detail"] == "用户名或密码错误 / wrong user name or password"


def test_changes_without_the_csrf_token_are_refused(hq: Hq) -> None:
    c, csrf = hq.login()
    body = shipped_catalog()
    r = c.post("/api/v1/documents/catalog", json=body)
    assert r.status_code == 403 and "CSRF" in r.json()["detail"]
    r = c.post("/api/v1/documents/catalog", json=body, headers={"X-CSRF-Token": "forged"})
    assert r.status_code == 403
    assert hq.published == [] and c.get("/api/v1/documents").json() == []
    assert c.post("/api/v1/documents/catalog", json=body, headers={"X-CSRF-Token": csrf}).status_code == 201


def test_operators_cannot_publish_the_catalog_or_add_users(hq: Hq) -> None:
    c, csrf = hq.login(OPERATOR)
    h = {"X-CSRF-Token": csrf}
    assert c.post("/api/v1/documents/catalog", json=shipped_catalog(), headers=h).status_code == 403
    r = c.post("/api/v1/users", json={"name": "x", "role": "admin", "password": "long enough pw"}, headers=h)
    assert r.status_code == 403
    a, acsrf = hq.login(ADMIN)
    r = a.post("/api/v1/users", json={"name": "x", "role": "operator", "password": "long enough pw"},
               headers={"X-CSRF-Token": acsrf})
    assert r.status_code == 201


def test_failed_logins_lock_the_account_for_a_while(hq: Hq) -> None:
    c = hq.client()
    for _ in range(hq.ctx.settings.login_failures):
        assert c.post("/api/v1/login", json={"name": ADMIN, "password": "guess"}).status_code == 401
    r = c.post("/api/v1/login", json={"name": ADMIN, "password": PASSWORD})  # right, but locked
    assert r.status_code == 401 and "锁定" in r.json()["detail"] and "locked" in r.json()["detail"]
    assert c.post("/api/v1/login", json={"name": OPERATOR, "password": PASSWORD}).status_code == 200  # others fine
    hq.clock.now += hq.ctx.settings.lockout_s + 1
    assert c.post("/api/v1/login", json={"name": ADMIN, "password": PASSWORD}).status_code == 200


def test_sessions_expire(hq: Hq) -> None:
    c, _ = hq.login()
    hq.clock.now += hq.ctx.settings.session_hours * 3600 + 1
    assert c.get("/api/v1/me").status_code == 401


def test_websocket_refuses_without_a_session(hq: Hq) -> None:
    import pytest
    from starlette.websockets import WebSocketDisconnect

    with pytest.raises(WebSocketDisconnect), hq.client().websocket_connect("/ws/live") as ws:
        ws.receive_json()
    c, _ = hq.login()
    with c.websocket_connect("/ws/live") as ws:
        assert ws.receive_json()["type"] == "hello"


def test_user_add_command_reads_the_password_from_stdin(tmp_path: Path, hq_url: str) -> None:
    cfg = tmp_path / "ztc.yaml"
    cfg.write_text(yaml.safe_dump({"hq": {"database_url": hq_url}, "data_dir": str(tmp_path)}))

    def ztc(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "ztc_cli", "--config", str(cfg), "hq", "user", *args],
                              input=stdin, capture_output=True, text=True, cwd=REPO, timeout=60)

    r = ztc("add", "admin1", "--role", "admin", stdin="a secret phrase\n")
    assert r.returncode == 0, r.stderr
    assert "admin1" in r.stdout
    r = ztc("add", "admin1", "--role", "admin", stdin="a secret phrase\n")
    assert r.returncode == 2 and "exists" in r.stderr
    r = ztc("add", "short", stdin="abc\n")
    assert r.returncode == 2 and "至少 10 位" in r.stderr
    r = ztc("add", "ops2", stdin="qwertyuiop\n")  # the CLI applies the same password policy as the page
    assert r.returncode == 2 and "键盘" in r.stderr and "keyboard row" in r.stderr
    assert ztc("list").stdout.split() == ["admin1", "admin"]
    store = HqStore.open(hq_url)
    token, session = Accounts(store).login("admin1", "a secret phrase", 1000.0)
    assert session.user.role == "admin" and token
    store.close()
