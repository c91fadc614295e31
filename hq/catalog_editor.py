"""The service list (事项清单) editor: one draft kept at headquarters, its difference against what is
published, publishing to the fleet or to chosen buses first, and rolling back.

Why a draft: a list is edited over days by the office, and only a finished one may reach the buses.
Why "chosen buses first": the county loads new items batch by batch (成熟一批加载一批) — a new item is
tried on one bus, then sent to all. Why rollback publishes anew: the bus applies only a newer
version (``telemetry/downlink.py``), so an earlier list comes back as the next version number.
Every draft save, publish and rollback is written to the audit log in its own transaction.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from contract import protocol
from hq.audit import AuditLog
from hq.documents import FLEET, DocumentError, Documents
from hq.storage import HqStore
from ztc.domain.catalog import parse_services
from ztc.settings import ServiceCategory

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS catalog_draft (
        id INTEGER PRIMARY KEY, body TEXT NOT NULL, based_on BIGINT NOT NULL,
        saved_at DOUBLE PRECISION NOT NULL, saved_by TEXT NOT NULL)""",
]

# Field → (Chinese, English) label, in the order a diff shows them.
CATEGORY_FIELDS = {"name_zh": ("名称", "name (zh)"), "name_en": ("英文名称", "name (en)")}
ITEM_FIELDS = {"name_zh": ("名称", "name (zh)"), "name_en": ("英文名称", "name (en)"),
               "minutes": ("办理时长（分钟）", "typical minutes"), "materials": ("申请材料", "materials to bring"),
               "note_zh": ("政策说明", "policy note (zh)"), "note_en": ("英文政策说明", "policy note (en)")}


class CatalogError(ValueError):
    """A list the buses would refuse, or a request that cannot be done; the text says which and why."""


class DraftConflict(CatalogError):
    """Someone saved the draft after this editor loaded it (409)."""


@dataclass(frozen=True)
class Who:
    actor: str
    client: str
    at: float


def _plain(cats: list[ServiceCategory]) -> list[dict[str, Any]]:
    return [c.model_dump(mode="json") for c in cats]


def validate_services(data: Any) -> list[dict[str, Any]]:
    """The list as the buses will read it, or CatalogError naming the field (Chinese / English)."""
    if not isinstance(data, list) or not data:
        raise CatalogError("事项清单至少需要一个类别 / the list needs at least one category")
    try:
        cats = parse_services(data)
    except ValidationError as e:
        first = e.errors()[0]
        where = _where(data, first.get("loc", ()))
        raise CatalogError(f"{where}：{first.get('msg')} / {where}: {first.get('msg')}") from None
    except ValueError as e:
        raise CatalogError(f"类别字母和事项编码不能重复 / {e}") from None
    if len(cats) > 26:
        raise CatalogError("类别最多 26 个 / at most 26 categories")
    return _plain(cats)


def _where(data: list[Any], loc: tuple[Any, ...]) -> str:
    """``(1, 'items', 0, 'minutes')`` → ``类别 B · 事项 B01 · minutes`` (what a person can find in the form)."""
    parts = []
    try:
        cat = data[loc[0]]
        parts.append(f"类别 {cat.get('code') or loc[0] + 1}")
        if len(loc) > 2 and loc[1] == "items":
            item = cat["items"][loc[2]]
            parts.append(f"事项 {item.get('code') or loc[2] + 1}")
            parts += [str(p) for p in loc[3:]]
        else:
            parts += [str(p) for p in loc[1:]]
    except (IndexError, KeyError, TypeError, AttributeError):
        parts = [".".join(str(p) for p in loc)]
    return " · ".join(parts)


def diff(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Categories and items added, removed and changed, field by field (labels Chinese first)."""
    out: list[dict[str, Any]] = []
    old_c = {c["code"]: c for c in before}
    new_c = {c["code"]: c for c in after}
    for code in sorted(old_c.keys() | new_c.keys()):
        o, n = old_c.get(code), new_c.get(code)
        if o is None or n is None:
            c = n or o
            assert c is not None
            out.append({"change": "added" if o is None else "removed", "level": "category", "code": code,
                        "name_zh": c["name_zh"], "fields": []})
        else:
            fields = _fields(o, n, CATEGORY_FIELDS)
            if fields:
                out.append({"change": "changed", "level": "category", "code": code, "name_zh": n["name_zh"],
                            "fields": fields})
        old_i = {i["code"]: i for i in (o or {}).get("items", [])}
        new_i = {i["code"]: i for i in (n or {}).get("items", [])}
        for icode in sorted(old_i.keys() | new_i.keys()):
            oi, ni = old_i.get(icode), new_i.get(icode)
            if oi is None or ni is None:
                it = ni or oi
                assert it is not None
                out.append({"change": "added" if oi is None else "removed", "level": "item", "code": icode,
                            "name_zh": it["name_zh"], "fields": _fields({}, it, ITEM_FIELDS) if oi is None else []})
            elif fields := _fields(oi, ni, ITEM_FIELDS):
                out.append({"change": "changed", "level": "item", "code": icode, "name_zh": ni["name_zh"],
                            "fields": fields})
    return out


def _fields(o: dict[str, Any], n: dict[str, Any], labels: dict[str, tuple[str, str]]) -> list[dict[str, Any]]:
    empty = {"materials": []}
    return [{"field": f, "label_zh": zh, "label_en": en, "before": o.get(f, empty.get(f)), "after": n.get(f)}
            for f, (zh, en) in labels.items() if o.get(f, empty.get(f, "")) != n.get(f, empty.get(f, ""))]


def publish_audit(audit: AuditLog, who: Who, what: str, bus: str, before: dict[str, Any] | None,
                  shipped: list[dict[str, Any]]) -> Any:
    """The ``on_commit`` of a catalog publish: its audit row (version before/after and the changes)."""
    old = before["document"]["services"] if before else shipped

    def record(c: Any, version: int, payload: dict[str, Any]) -> None:
        audit.record(c, at=who.at, actor=who.actor, client=who.client, kind="catalog",
                     target=f"{what} → {bus or '全部车辆 / all buses'} v{version}",
                     before={"version": before["version"] if before else 0},
                     after={"version": version, "changes": diff(old, payload["services"])})
    return record


class CatalogEditor:
    def __init__(self, store: HqStore, documents: Documents, audit: AuditLog, shipped: list[ServiceCategory]):
        self.store = store
        self.documents = documents
        self.audit = audit
        self.shipped = _plain(shipped)
        store.ensure_schema(SCHEMA)

    # --- what is published ----------------------------------------------------------------------

    def published(self) -> tuple[int, list[dict[str, Any]]]:
        """The fleet's list and its version (0: none published, the shipped list is what buses run)."""
        cur = self.documents.current("catalog")
        return (cur["version"], cur["document"]["services"]) if cur else (0, self.shipped)

    def versions(self) -> list[dict[str, Any]]:
        """Every published version, newest first, with the buses it went to (``None``: the fleet)."""
        rows = self.store.query("SELECT version, bus, published_at, published_by, body FROM documents "
                                "WHERE kind = 'catalog' ORDER BY version DESC, bus")
        out: dict[int, dict[str, Any]] = {}
        for r in rows:
            v = out.setdefault(int(r["version"]), {"version": int(r["version"]), "buses": [], "fleet": False,
                                                   "published_at": r["published_at"], "published_by": r["published_by"],
                                                   "items": sum(len(c["items"]) for c in
                                                                json.loads(r["body"])["services"])})
            if r["bus"] == FLEET:
                v["fleet"] = True
            else:
                v["buses"].append(r["bus"])
        return list(out.values())

    def buses(self) -> list[dict[str, Any]]:
        """Which bus runs which version: what headquarters sent it, and what its health last reported."""
        known = {b["id"]: b for b in self.store.buses()}
        for r in self.store.query("SELECT DISTINCT bus FROM documents WHERE kind = 'catalog' AND bus <> ''"):
            known.setdefault(r["bus"], {"id": r["bus"]})
        fleet, fleet_services = self.published()
        out = []
        for bus in sorted(known):
            sent = self.documents.catalog_for(bus)
            health = known[bus].get("health") or {}
            held = health.get("documents") if isinstance(health, dict) else None  # {"catalog": 3, …}
            reported = held.get("catalog") if isinstance(held, dict) else None
            reported = reported if isinstance(reported, int) and not isinstance(reported, bool) else None
            out.append({"bus": bus, "version": sent["version"] if sent else 0,
                        # a pilot: this bus's own list, newer than the fleet's and not the same list
                        "pilot": bool(sent and sent["bus"] and sent["version"] > fleet
                                      and sent["document"]["services"] != fleet_services),
                        "reported": reported})
        return out

    # --- the draft ------------------------------------------------------------------------------

    def draft(self) -> dict[str, Any]:
        """The draft, or (none saved) the published list to start from."""
        version, services = self.published()
        rows = self.store.query("SELECT body, based_on, saved_at, saved_by FROM catalog_draft WHERE id = 1")
        if not rows:
            return {"services": services, "based_on": version, "saved_at": None, "saved_by": None,
                    "published_version": version}
        r = rows[0]
        return {"services": json.loads(r["body"]), "based_on": int(r["based_on"]), "saved_at": r["saved_at"],
                "saved_by": r["saved_by"], "published_version": version}

    def save_draft(self, services: Any, who: Who, *, expect: float | bool | None = False) -> dict[str, Any]:
        """Replace the draft. ``expect``: the ``saved_at`` the editor loaded (None: no draft then); when
        someone saved since, refuse rather than overwrite their work (False: no check, for tools)."""
        clean = validate_services(services)
        before = self.draft()
        if expect is not False and before["saved_at"] != expect:
            raise DraftConflict(f"草稿已被 {before['saved_by']} 修改，请重新载入后再改 / the draft was changed by "
                                f"{before['saved_by']} since you loaded it: reload, then edit")
        version, _ = self.published()
        with self.store.transaction() as c:
            c.execute(self.store.sql("DELETE FROM catalog_draft WHERE id = 1"))
            c.execute(self.store.sql("INSERT INTO catalog_draft(id, body, based_on, saved_at, saved_by) "
                                     "VALUES (1, ?, ?, ?, ?)"),
                      (json.dumps(clean, ensure_ascii=False), version, who.at, who.actor))
            self.audit.record(c, at=who.at, actor=who.actor, client=who.client, kind="catalog",
                              target="草稿 / draft", before={"changes": diff(self.published()[1], before["services"])},
                              after={"changes": diff(self.published()[1], clean)})
        return self.draft()

    def changes(self) -> dict[str, Any]:
        version, services = self.published()
        return {"published_version": version, "changes": diff(services, self.draft()["services"])}

    # --- publishing -----------------------------------------------------------------------------

    def publish(self, buses: list[str] | None, who: Who) -> list[dict[str, Any]]:
        """The draft to the fleet (``buses`` None or empty) or to each chosen bus first."""
        return self._send(self.draft()["services"], buses, who, "发布 / publish")

    def rollback(self, version: int, buses: list[str] | None, who: Who) -> list[dict[str, Any]]:
        """An earlier version's list, published again as the next version (buses never go back)."""
        rows = self.store.query("SELECT body FROM documents WHERE kind = 'catalog' AND version = ? LIMIT 1",
                                (version,))
        if not rows:
            raise CatalogError(f"没有版本 {version} / no published version {version}")
        services = json.loads(rows[0]["body"])["services"]
        return self._send(services, buses, who, f"回退到版本 {version} / roll back to {version}")

    def _send(self, services: list[dict[str, Any]], buses: list[str] | None, who: Who,
              what: str) -> list[dict[str, Any]]:
        targets = sorted(set(buses)) if buses else [FLEET]
        for bus in targets:
            if bus != FLEET:
                try:
                    protocol.bus_topic(bus, protocol.CATALOG)
                except protocol.ProtocolError:
                    raise CatalogError(f"车辆编号无效 / invalid bus id: {bus!r}") from None
        records = []
        for bus in targets:
            hook = publish_audit(self.audit, who, what, bus, self.documents.catalog_for(bus), self.shipped)
            try:
                records.append(self.documents.publish_document("catalog", bus, {"services": services}, who.actor,
                                                               who.at, on_commit=hook))
            except DocumentError as e:
                raise CatalogError(str(e)) from None
        return records
