"""The service list editor's API over the in-process app: the draft, its diff, publishing to one bus
(its own topic) or to all, versions that never go back, rollback, the audit trail and clear refusals."""
from __future__ import annotations

import copy
from typing import Any

from contract import protocol
from hq.catalog_editor import diff
from tests.hq.conftest import OPERATOR, Hq, shipped_catalog

NEW_ITEM = {"code": "E04", "name_zh": "残疾人证办理", "name_en": "Disability certificate", "minutes": 15,
            "materials": ["身份证原件", "户口簿", "近期一寸免冠照片两张"],
            "note_zh": "本人到场；行动不便者可预约上门服务。", "note_en": "In person; home visits on request."}


def with_new_item() -> list[dict[str, Any]]:
    services = copy.deepcopy(shipped_catalog()["services"])
    next(c for c in services if c["code"] == "E")["items"].append(NEW_ITEM)
    next(c for c in services if c["code"] == "D")["items"][0]["minutes"] = 10
    return services


def audit_rows(hq: Hq) -> list[dict[str, Any]]:
    return [e.as_dict() for e in hq.ctx.audit.search(hq.ctx.tz, kind="catalog")]


def test_draft_diff_pilot_publish_and_rollback(hq: Hq) -> None:
    c, csrf = hq.login()
    h = {"X-CSRF-Token": csrf}
    start = c.get("/api/v1/catalog/draft").json()
    assert start["published_version"] == 0 and start["services"] == shipped_catalog()["services"]
    assert c.get("/api/v1/catalog/diff").json()["changes"] == []

    r = c.put("/api/v1/catalog/draft", json={"services": with_new_item()}, headers=h)
    assert r.status_code == 200, r.text
    changes = c.get("/api/v1/catalog/diff").json()["changes"]
    added = next(x for x in changes if x["code"] == "E04")
    assert added["change"] == "added" and added["level"] == "item"
    assert next(f for f in added["fields"] if f["field"] == "materials")["after"] == NEW_ITEM["materials"]
    changed = next(x for x in changes if x["code"] == "D01")
    assert changed["change"] == "changed" and [(f["label_zh"], f["before"], f["after"]) for f in changed["fields"]] \
        == [("办理时长（分钟）", 8, 10)]
    assert hq.published == []  # a draft reaches no bus

    # Fleet v1 first (the shipped list), then the draft to one bus only.
    hq.ctx.documents.publish_document("catalog", "", shipped_catalog(), "chief", hq.clock())
    r = c.post("/api/v1/catalog/publish", json={"buses": ["yiyuan-01"]}, headers=h)
    assert r.status_code == 201, r.text
    assert [(x["bus"], x["version"]) for x in r.json()] == [("yiyuan-01", 2)]
    topic, payload, qos, retain = hq.published[-1]
    assert topic == protocol.bus_topic("yiyuan-01", protocol.CATALOG) and qos == 1 and retain
    doc = protocol.validate(protocol.Catalog, payload)
    assert doc.version == 2 and list(doc.services[4].items[-1].materials) == NEW_ITEM["materials"]
    assert not any(t == protocol.bus_topic("yiyuan-02", protocol.CATALOG) for t, *_ in hq.published)
    hq.position("yiyuan-02", hq.clock())
    buses = {b["bus"]: b for b in c.get("/api/v1/catalog/buses").json()}
    assert (buses["yiyuan-01"]["version"], buses["yiyuan-01"]["pilot"]) == (2, True)
    assert (buses["yiyuan-02"]["version"], buses["yiyuan-02"]["pilot"]) == (1, False)
    guide = c.get("/api/public/guide").json()
    e04 = next(i for s in guide["services"] for i in s["items"] if i["code"] == "E04")
    assert e04["buses"] == ["yiyuan-01"] and e04["materials"] == NEW_ITEM["materials"]

    # To all: v3 on the fleet topic; then roll back to v1 — published anew as v4, never backwards.
    assert c.post("/api/v1/catalog/publish", json={"buses": None}, headers=h).json()[0]["version"] == 3
    assert hq.published[-1][0] == protocol.FLEET_CATALOG
    r = c.post("/api/v1/catalog/rollback", json={"version": 1}, headers=h)
    assert r.status_code == 201, r.text
    assert r.json()[0]["version"] == 4 and hq.published[-1][0] == protocol.FLEET_CATALOG
    assert hq.published[-1][1]["services"] == shipped_catalog()["services"]
    versions = c.get("/api/v1/catalog/versions").json()
    assert [(v["version"], v["fleet"], v["buses"]) for v in versions] == [
        (4, True, []), (3, True, []), (2, False, ["yiyuan-01"]), (1, True, [])]
    # The pilot bus runs the fleet's v4 now (newer than its own v2).
    assert {b["bus"]: b["version"] for b in c.get("/api/v1/catalog/buses").json()}["yiyuan-01"] == 4

    rows = audit_rows(hq)
    assert [r["target"] for r in rows][::-1] == [
        "草稿 / draft", "发布 / publish → yiyuan-01 v2", "发布 / publish → 全部车辆 / all buses v3",
        "回退到版本 1 / roll back to 1 → 全部车辆 / all buses v4"]
    assert all(r["actor"] == "chief" and r["client"] == "203.0.113.9" for r in rows)
    assert any(x["code"] == "E04" for x in rows[-1]["after"]["changes"])  # the draft save: what it added


def test_bad_drafts_are_refused_by_name_and_nothing_is_lost(hq: Hq) -> None:
    c, csrf = hq.login()
    h = {"X-CSRF-Token": csrf}
    good = with_new_item()
    assert c.put("/api/v1/catalog/draft", json={"services": good}, headers=h).status_code == 200
    bad = copy.deepcopy(good)
    bad[4]["items"][-1]["code"] = "D09"  # an E item numbered as a D item
    r = c.put("/api/v1/catalog/draft", json={"services": bad}, headers=h)
    assert r.status_code == 422 and "类别 E" in r.json()["detail"] and "D09" in r.json()["detail"]
    bad = copy.deepcopy(good)
    bad[4]["items"][-1]["minutes"] = 0
    r = c.put("/api/v1/catalog/draft", json={"services": bad}, headers=h)
    assert r.status_code == 422 and "事项 E04 · minutes" in r.json()["detail"]
    bad = copy.deepcopy(good)
    bad[4]["items"][-1]["materials"] = ["x" * 121]
    assert c.put("/api/v1/catalog/draft", json={"services": bad}, headers=h).status_code == 422
    bad = copy.deepcopy(good)
    bad[3]["items"].append(dict(bad[3]["items"][0]))  # D01 twice
    r = c.put("/api/v1/catalog/draft", json={"services": bad}, headers=h)
    assert r.status_code == 422 and "不能重复" in r.json()["detail"]
    assert c.put("/api/v1/catalog/draft", json={"services": []}, headers=h).status_code == 422
    assert c.get("/api/v1/catalog/draft").json()["services"] == good  # the saved draft is untouched
    r = c.post("/api/v1/catalog/publish", json={"buses": ["Not A Bus"]}, headers=h)
    assert r.status_code == 422 and "车辆编号无效" in r.json()["detail"]
    r = c.post("/api/v1/catalog/rollback", json={"version": 7}, headers=h)
    assert r.status_code == 422 and "没有版本 7" in r.json()["detail"]
    assert hq.published == [] and len(audit_rows(hq)) == 1


def test_only_admins_change_the_list_and_the_csrf_token_is_needed(hq: Hq) -> None:
    c, csrf = hq.login(OPERATOR)
    assert c.get("/api/v1/catalog/draft").status_code == 200  # staff may look
    assert c.put("/api/v1/catalog/draft", json={"services": with_new_item()},
                 headers={"X-CSRF-Token": csrf}).status_code == 403
    a, _ = hq.login()
    assert a.post("/api/v1/catalog/publish", json={}).status_code == 403  # no CSRF token
    assert hq.client().get("/catalog", follow_redirects=False).status_code == 303


def test_schedule_for_a_pilot_bus_may_use_its_pilot_category(hq: Hq) -> None:
    """A new category tried on one bus: that bus's schedule may name it, another bus's may not."""
    hq.ctx.documents.publish_document("catalog", "", shipped_catalog(), "chief", hq.clock())
    services = shipped_catalog()["services"] + [{"code": "H", "name_zh": "退役军人服务", "name_en": "Veterans",
                                                 "items": [{"code": "H01", "name_zh": "优待证", "name_en": "Card",
                                                            "minutes": 10}]}]
    c, csrf = hq.login()
    h = {"X-CSRF-Token": csrf}
    c.put("/api/v1/catalog/draft", json={"services": services}, headers=h)
    c.post("/api/v1/catalog/publish", json={"buses": ["yiyuan-01"]}, headers=h)
    visit = {"stop": "s1", "name": "村", "lat": 36.2, "lon": 118.1, "radius_m": 80, "arrive": hq.clock() + 60,
             "depart": hq.clock() + 3600, "services": ["H"]}
    assert c.post("/api/v1/documents/schedule/yiyuan-01", json={"visits": [visit]}, headers=h).status_code == 201
    r = c.post("/api/v1/documents/schedule/yiyuan-02", json={"visits": [visit]}, headers=h)
    assert r.status_code == 422 and "H" in r.json()["detail"]


def test_diff_labels_removed_and_renamed() -> None:
    old = shipped_catalog()["services"]
    new = copy.deepcopy(old)
    new[0]["name_zh"] = "经营主体登记"
    del new[6]
    out = diff(old, new)
    assert out[0]["change"] == "changed" and out[0]["fields"][0]["label_zh"] == "名称"
    assert {(x["change"], x["level"], x["code"]) for x in out} >= {("removed", "category", "G"),
                                                                   ("removed", "item", "G01")}


def test_the_json_route_for_tools_is_audited_too(hq: Hq) -> None:
    c, csrf = hq.login()
    r = c.post("/api/v1/documents/catalog", json=shipped_catalog(), headers={"X-CSRF-Token": csrf})
    assert r.status_code == 201, r.text
    rows = audit_rows(hq)
    assert len(rows) == 1 and rows[0]["after"] == {"version": 1} and rows[0]["actor"] == "chief"


def test_a_draft_saved_by_someone_else_meanwhile_is_not_overwritten(hq: Hq) -> None:
    c, csrf = hq.login()
    h = {"X-CSRF-Token": csrf}
    loaded = c.get("/api/v1/catalog/draft").json()["saved_at"]  # None: no draft yet
    first = c.put("/api/v1/catalog/draft", json={"services": with_new_item(), "saved_at": loaded}, headers=h)
    assert first.status_code == 200, first.text
    hq.clock.now += 60
    stale = c.put("/api/v1/catalog/draft", json={"services": shipped_catalog()["services"], "saved_at": loaded},
                  headers=h)
    assert stale.status_code == 409 and "请重新载入" in stale.json()["detail"]
    assert c.get("/api/v1/catalog/draft").json()["services"] == with_new_item()
    again = c.put("/api/v1/catalog/draft", json={"services": shipped_catalog()["services"],
                                                 "saved_at": first.json()["saved_at"]}, headers=h)
    assert again.status_code == 200
