"""Accounts and the audit log through the pages, as an admin would do it, in a real headless Chromium
against the real ``ztc hq``: a weak password refused with the rule named, a good one accepted; an
account disabled (its open session ends, its log-in is refused); those actions and the failed log-ins
found on the audit page by person and kind. Screenshots go to test-artifacts/hq/."""
from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.hq.cdp import Browser
from tests.hq.conftest import ADMIN, PASSWORD, Server, artifacts

NEW, NEW_PASSWORD = "ops2", "qiaotou-bus-2026"


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    b = Browser(tmp_path / "chromium")
    yield b
    b.close()


def fill(browser: Browser, values: dict[str, str]) -> None:
    browser.evaluate(";".join(f"document.getElementById({json.dumps(k)}).value = {json.dumps(v)}"
                              for k, v in values.items()))


def log_in(browser: Browser, server: Server, name: str, password: str) -> None:
    browser.goto(f"{server.url}/login")
    fill(browser, {"name": name, "password": password})
    browser.evaluate("document.getElementById('submit').click()")


def audit_rows(browser: Browser, actor: str, kind: str, day: str = "") -> list[dict[str, str]]:
    """Search the audit page the way a person does: type the person, pick the kind (and the day), press 查询."""
    before = browser.evaluate("Number(document.body.dataset.searched || 0)")
    fill(browser, {"actor": actor, "kind": kind, "from": day, "to": day})
    browser.evaluate("document.getElementById('search').click()")
    browser.wait_for(f"Number(document.body.dataset.searched) > {before}", what="the search")
    return browser.evaluate("[...document.querySelectorAll('#entries tbody tr')].map((tr) => ({"
                            "actor: tr.dataset.actor, kind: tr.dataset.kind, from: tr.children[2].textContent, "
                            "when: tr.children[0].textContent, "
                            "target: tr.querySelector('.target').textContent, "
                            "before: tr.querySelectorAll('.change')[0].textContent, "
                            "after: tr.querySelectorAll('.change')[1].textContent}))")


def test_admin_adds_disables_and_finds_it_in_the_audit_log(server: Server, browser: Browser) -> None:
    log_in(browser, server, ADMIN, "wrong password 1")  # a failed log-in, to be found later
    browser.wait_for("document.getElementById('error').textContent.includes('密码错误')", what="the refusal")
    log_in(browser, server, ADMIN, PASSWORD)
    browser.wait_for("location.pathname === '/' && window.ztc && ztc.ready === true", what="the dashboard")
    assert browser.evaluate("!document.querySelector('a[href=\"/accounts\"]').hidden")  # admins see the link

    browser.goto(f"{server.url}/accounts")
    browser.wait_for("document.body.dataset.ready === '1'", what="the accounts page")
    fill(browser, {"new-name": NEW, "new-password": "1234567890"})
    browser.evaluate("document.getElementById('add').click()")
    browser.wait_for("document.getElementById('add-msg').className === 'msg err'", what="the refusal")
    refusal = browser.evaluate("document.getElementById('add-msg').textContent")
    assert refusal.startswith("密码不能是连续的字符") and "sequence" in refusal  # the rule named, Chinese first
    fill(browser, {"new-password": f"x{NEW}-2026-bus"})
    browser.evaluate("document.getElementById('add').click()")
    browser.wait_for("document.getElementById('add-msg').textContent.includes('用户名')", what="the name rule")
    fill(browser, {"new-password": NEW_PASSWORD})
    browser.evaluate("document.getElementById('add').click()")
    browser.wait_for(f"!!document.querySelector('tr[data-user=\"{NEW}\"]')", what="the new account in the list")
    assert "已创建" in browser.evaluate("document.getElementById('add-msg').textContent")

    # ops2 logs in from elsewhere; the admin disables the account: that session ends at once.
    other = httpx.Client(base_url=server.url, timeout=10)
    assert other.post("/api/v1/login", json={"name": NEW, "password": NEW_PASSWORD}).status_code == 200
    assert other.get("/api/v1/me").status_code == 200
    browser.evaluate(f"document.querySelector('tr[data-user=\"{NEW}\"] button.toggle').click()")
    browser.wait_for(f"document.querySelector('tr[data-user=\"{NEW}\"]').className === 'disabled'",
                     what="the account shown disabled")
    browser.screenshot(artifacts() / "accounts.png")
    assert other.get("/api/v1/me").status_code == 401
    other.close()

    log_in(browser, server, NEW, NEW_PASSWORD)  # the admin's own session stays (a refused log-in sets no cookie)
    browser.wait_for("document.getElementById('error').textContent.includes('已停用')", what="the disabled refusal")

    browser.goto(f"{server.url}/audit")
    browser.wait_for("document.body.dataset.ready === '1'", what="the audit page")
    accounts = audit_rows(browser, ADMIN, "account")
    assert [r["target"] for r in accounts] == [f"user:{NEW}", f"user:{NEW}"]  # disabled, then (older) added
    assert 'disabled: true' in accounts[0]["after"] and 'disabled: false' in accounts[0]["before"]
    assert 'role: operator' in accounts[1]["after"] and accounts[1]["before"] == ""
    assert all(PASSWORD not in r["after"] and NEW_PASSWORD not in r["after"] for r in accounts)
    assert accounts[0]["from"] == "127.0.0.1"
    failed = audit_rows(browser, NEW, "login_failed")
    assert len(failed) == 1 and "已停用" in failed[0]["after"] and failed[0]["from"] == "127.0.0.1"
    (mine,) = audit_rows(browser, ADMIN, "login_failed")  # the wrong password at the start
    assert "密码错误" in mine["after"] and mine["target"] == f"user:{ADMIN}"
    assert [r["kind"] for r in audit_rows(browser, NEW, "login")] == ["login"]
    # Days are hq.timezone's (Beijing): the day of the disabling, as shown, finds it; the next day nothing.
    day = date.fromisoformat(accounts[0]["when"][:10])
    shown = datetime.strptime(accounts[0]["when"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=ZoneInfo("Asia/Shanghai"))
    assert abs(shown.timestamp() - time.time()) < 600  # Beijing wall time, whatever the machine's zone
    assert "disabled: true" in audit_rows(browser, ADMIN, "account", day.isoformat())[0]["after"]
    assert audit_rows(browser, ADMIN, "account", (day + timedelta(days=1)).isoformat()) == []
    audit_rows(browser, "", "")
    browser.screenshot(artifacts() / "audit.png")


def test_operators_get_neither_page(server: Server, browser: Browser) -> None:
    c, csrf = server.login()
    r = c.post("/api/v1/users", json={"name": "duty2", "role": "operator", "password": NEW_PASSWORD},
               headers={"X-CSRF-Token": csrf})
    assert r.status_code == 201, r.text
    op = httpx.Client(base_url=server.url, timeout=10)
    assert op.post("/api/v1/login", json={"name": "duty2", "password": NEW_PASSWORD}).status_code == 200
    assert op.get("/accounts").status_code == 403 and op.get("/audit").status_code == 403
    assert op.get("/api/v1/audit").status_code == 403
    op.close()
    log_in(browser, server, "duty2", NEW_PASSWORD)
    browser.wait_for("location.pathname === '/' && window.ztc && ztc.ready === true", what="the dashboard")
    assert browser.evaluate("document.querySelector('a[href=\"/audit\"]').hidden")  # no link for an operator
