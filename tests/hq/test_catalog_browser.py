"""The service list editor through the page, as the office would use it: a real headless Chromium
against the real ``ztc hq``, a real mosquitto and a real ``ztc agent`` (bus ``test-bus``), plus a
second bus seen only as MQTT. Publish the list to all, add an item with its materials in the form,
read the diff, try it on one bus (the agent stores it; the other bus gets nothing), see it on
``/public``, and roll that bus back. Screenshots go to test-artifacts/hq/."""
from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from contract import protocol
from tests.hq.cdp import Browser
from tests.hq.conftest import ADMIN, PASSWORD, Server, artifacts
from tests.telemetry.conftest import BUS, Broker, Observer, Proc, settings_for, wait_for, write_config
from ztc.db import open_database

OTHER = "yiyuan-02"
MATERIALS = ["身份证原件", "户口簿", "近期一寸免冠照片两张"]


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    b = Browser(tmp_path / "chromium")
    yield b
    b.close()


def held_catalog(db) -> dict | None:
    with db.read() as conn:
        row = conn.execute("SELECT version, body FROM documents WHERE kind = 'catalog'").fetchone()
    return None if row is None else {"version": row[0], **json.loads(row[1])}


def items_of(doc: dict) -> dict[str, dict]:
    return {i["code"]: i for c in doc["services"] for i in c["items"]}


def type_into(browser: Browser, selector: str, text: str) -> None:
    """Focus the field and type, as a keyboard would (Chromium's own text input)."""
    browser.evaluate(f"(() => {{ const e = document.querySelector({json.dumps(selector)}); e.focus();"
                     " e.select && e.select(); })()")
    browser.call("Input.insertText", text=text)


def click(browser: Browser, selector: str) -> None:
    browser.evaluate(f"document.querySelector({json.dumps(selector)}).click()")


def test_edit_diff_pilot_on_one_bus_public_and_rollback(tmp_path: Path, broker: Broker, server: Server,
                                                       observer: Observer, browser: Browser,
                                                       procs: list[Proc]) -> None:
    (tmp_path / "agent").mkdir()
    config = write_config(tmp_path / "agent", broker.port, periodic_s=5)
    bus_db = open_database(settings_for(config).db_path)
    agent = Proc(config, ["agent", "--no-gps"], tmp_path / "agent.log").start()
    procs.append(agent)
    wait_for(lambda: (x := observer.last(f"ztc/v1/bus/{BUS}/status")) and x["online"], 30, "the agent online")
    observer.publish(f"ztc/v1/bus/{OTHER}/status", json.dumps({"online": True, "ts": time.time(), "sw": "t",
                                                              "boot": "b"}))
    http, _ = server.login()
    wait_for(lambda: {BUS, OTHER} <= {b["id"] for b in http.get("/api/v1/buses").json()}, 30, "both buses at HQ")

    browser.goto(f"{server.url}/login")
    browser.evaluate(f"document.getElementById('name').value = {json.dumps(ADMIN)};"
                     f"document.getElementById('password').value = {json.dumps(PASSWORD)};"
                     "document.getElementById('submit').click()")
    browser.wait_for("location.pathname === '/'", what="the log-in")
    browser.goto(f"{server.url}/catalog")
    browser.wait_for("window.cat && cat.ready === true", what="the service list page")
    browser.wait_for("document.getElementById('no-changes') !== null", what="no changes before editing")

    # 1. The shipped list to every bus (fleet topic): both buses take version 1.
    click(browser, "#target-all")
    click(browser, "#publish")
    browser.wait_for("document.getElementById('publish-msg').textContent.includes('v1 → 全部车辆')",
                     what="v1 published")
    wait_for(lambda: (held_catalog(bus_db) or {}).get("version") == 1, 30, f"the agent to store v1: {agent.log()}")
    assert protocol.validate(protocol.Catalog, observer.last(protocol.FLEET_CATALOG)).version == 1

    # 2. A new item with its materials, typed into the form, saved as a draft.
    click(browser, ".cat[data-cat='E'] .add-item")
    row = ".cat[data-cat='E'] .item[data-item='E04']"
    browser.wait_for(f"document.querySelector({json.dumps(row)}) !== null", what="the new item row")
    type_into(browser, f"{row} .f-name_zh", "残疾人证办理")
    type_into(browser, f"{row} .f-name_en", "Disability certificate")
    type_into(browser, f"{row} .f-minutes", "15")
    type_into(browser, f"{row} .f-materials", "\n".join(MATERIALS))
    type_into(browser, f"{row} .f-note_zh", "本人到场；行动不便者可预约上门服务。")
    type_into(browser, f"{row} .f-note_en", "In person; home visits on request.")
    type_into(browser, ".cat[data-cat='D'] .item[data-item='D01'] .f-minutes", "10")
    click(browser, "#save")
    browser.wait_for("document.getElementById('save-msg').textContent.includes('草稿已保存')", what="the draft saved")
    diff = browser.wait_for("(() => { const d = document.querySelector('#diff .chg.added[data-code=E04]');"
                            " return d && document.getElementById('diff').innerText; })()", what="the diff")
    assert "新增 / added · 事项 / item E04 残疾人证办理" in diff
    assert "申请材料 / materials to bring: 身份证原件、户口簿、近期一寸免冠照片两张" in diff
    assert "修改 / changed · 事项 / item D01 医疗保险" in diff and "办理时长（分钟） / typical minutes: 8 → 10" in diff
    assert (held_catalog(bus_db) or {}).get("version") == 1  # a draft reaches no bus
    browser.evaluate(f"document.querySelector({json.dumps(row)}).scrollIntoView({{block: 'center'}})")
    browser.screenshot(artifacts() / "catalog-editor.png")

    # 3. Try it on one bus first: the agent stores v2 with the materials; the other bus gets nothing.
    click(browser, "#target-some")
    click(browser, f"#bus-choice input[data-bus='{BUS}']")
    assert browser.evaluate(f"document.querySelector(\"#bus-choice input[data-bus='{BUS}']\").checked")
    click(browser, "#publish")
    msg = "document.getElementById('publish-msg').textContent"
    try:
        browser.wait_for(f"{msg}.includes('v2 → {BUS}')", what="the pilot")
    except AssertionError:
        choice = browser.evaluate("document.getElementById('bus-choice').innerHTML")
        raise AssertionError(f"{browser.evaluate(msg)} {choice} {server.proc.log()[-3000:]}") from None
    stored = wait_for(lambda: (c := held_catalog(bus_db)) and c["version"] == 2 and c, 30,
                      f"the agent to store v2: {agent.log()}")
    assert items_of(stored)["E04"]["materials"] == MATERIALS and items_of(stored)["D01"]["minutes"] == 10
    assert observer.last(protocol.bus_topic(BUS, protocol.CATALOG))["version"] == 2
    assert observer.all(protocol.bus_topic(OTHER, protocol.CATALOG)) == []
    assert [d["version"] for d in observer.all(protocol.FLEET_CATALOG)] == [1]  # the fleet list unchanged
    # The page says which bus runs which version; the agent's health reports v2 itself.
    pilot_row = f"(document.querySelector('#bus-versions tr[data-bus=\"{BUS}\"]') || {{}}).innerText || ''"
    browser.wait_for(f"(cat.refresh(), ({pilot_row}).includes('v2 试点') && ({pilot_row}).trim().endsWith('v2'))",
                     timeout=60, what=f"the pilot bus reporting v2: {browser.evaluate(pilot_row)}")
    assert "v1" in browser.evaluate(f"document.querySelector('#bus-versions tr[data-bus=\"{OTHER}\"]').innerText")
    browser.screenshot(artifacts() / "catalog-published.png")

    # 4. /public: the new item's materials, marked as tried on that bus.
    public = Browser(tmp_path / "chromium-public")
    try:
        public.viewport(390, 844, mobile=True, scale=2)
        public.goto(f"{server.url}/public")
        public.wait_for("window.ztcGuideReady === true", what="the public guide")
        public.evaluate("document.querySelector('#pguide details[data-service=E]').open = true;"
                        "document.querySelector('#pguide li[data-item=E04]').scrollIntoView()")
        text = public.evaluate("document.getElementById('pguide').innerText")
        assert "残疾人证办理" in text and all(m in text for m in MATERIALS) and f"试点车辆 / pilot on: {BUS}" in text
        assert "说明：本人到场" in text
        public.screenshot(artifacts() / "public-guide.png")
    finally:
        public.close()

    # 5. Roll the pilot bus back to v1's list: published as v3 (never backwards); the agent takes it.
    click(browser, "#versions button[data-rollback='1']")
    browser.wait_for(f"document.getElementById('rollback-msg').textContent.includes('v3 → {BUS}')", what="the rollback")
    back = wait_for(lambda: (c := held_catalog(bus_db)) and c["version"] == 3 and c, 30, "the agent to store v3")
    assert "E04" not in items_of(back) and items_of(back)["D01"]["minutes"] == 8
    assert observer.all(protocol.bus_topic(OTHER, protocol.CATALOG)) == []
    browser.wait_for("document.querySelector('#versions tr[data-version=\"3\"]') !== null", what="v3 in the list")
    # The fleet's list again, though sent to that bus alone: no longer marked as a pilot.
    browser.wait_for(f"(cat.refresh(), ({pilot_row}).includes('v3') && !({pilot_row}).includes('试点'))",
                     what="the rolled-back bus no longer a pilot")
    browser.evaluate("document.getElementById('versions').scrollIntoView()")
    browser.screenshot(artifacts() / "catalog-rollback.png")

    # Every step is in the audit log, by the person who did it.
    with sqlite3.connect(tmp_path / "hq" / "hq.db") as conn:
        rows = conn.execute("SELECT actor, target FROM audit_log WHERE kind = 'catalog' ORDER BY id").fetchall()
    assert rows == [(ADMIN, "发布 / publish → 全部车辆 / all buses v1"), (ADMIN, "草稿 / draft"),
                    (ADMIN, f"发布 / publish → {BUS} v2"), (ADMIN, f"回退到版本 1 / roll back to 1 → {BUS} v3")]
    bus_db.close()
