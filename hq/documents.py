"""Publishing what the buses work from: the catalog, each bus's schedule and appointments, and commands.

Each document is validated with the very model the bus validates it with (``contract/protocol.py``),
so headquarters never sends what a bus would refuse, and gets the next version number (the bus
applies only a newer version). The document is stored first and published second: when the broker
is unreachable it stays "not sent" and the ingest loop publishes it once connected (``flush``), so
a publish is never lost. Retained documents mean a bus that was off gets the newest one on connect.
"""
from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from contract import protocol
from hq import outbound
from hq.storage import HqStore

if TYPE_CHECKING:
    from hq.audit import Stamp

log = logging.getLogger(__name__)

Publish = Callable[[str, dict[str, Any], int, bool], bool]  # (topic, payload, qos, retain) → handed over
KINDS = ("catalog", protocol.SCHEDULE, protocol.APPOINTMENTS)
FLEET = ""  # the bus column of fleet-wide documents (the catalog)

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS documents (
        kind TEXT NOT NULL, bus TEXT NOT NULL, version BIGINT NOT NULL, body TEXT NOT NULL,
        published_at DOUBLE PRECISION NOT NULL, published_by TEXT NOT NULL, sent INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (kind, bus, version))""",
    """CREATE TABLE IF NOT EXISTS commands (
        id TEXT PRIMARY KEY, bus TEXT NOT NULL, body TEXT NOT NULL, created_at DOUBLE PRECISION NOT NULL,
        created_by TEXT NOT NULL, sent INTEGER NOT NULL DEFAULT 0)""",
]


class DocumentError(ValueError):
    """A document that would be refused by the buses; the text names the field (Chinese / English).
    ``status``: the HTTP answer (422; 413 when it is over the bus's size limit)."""

    def __init__(self, text: str, status: int = 422):
        super().__init__(text)
        self.status = status


def topic_of(kind: str, bus: str) -> str:
    """A catalog for one bus (tried there first, ``hq.catalog_editor``) goes on that bus's own topic."""
    if kind == "catalog":
        return protocol.bus_topic(bus, protocol.CATALOG) if bus else protocol.FLEET_CATALOG
    return protocol.bus_topic(bus, kind)


class Documents:
    def __init__(self, store: HqStore, publish: Publish | None = None):
        self.store = store
        self.publish = publish
        store.ensure_schema(SCHEMA)

    def current(self, kind: str, bus: str = FLEET) -> dict[str, Any] | None:
        rows = self.store.query("SELECT version, body, published_at, published_by, sent FROM documents "
                                "WHERE kind = ? AND bus = ? ORDER BY version DESC LIMIT 1", (kind, bus))
        if not rows:
            return None
        r = rows[0]
        return {"kind": kind, "bus": bus or None, "version": r["version"], "document": json.loads(r["body"]),
                "published_at": r["published_at"], "published_by": r["published_by"], "sent": bool(r["sent"])}

    def catalog_for(self, bus: str) -> dict[str, Any] | None:
        """The catalog a bus runs: the newer of the fleet's and its own (one version sequence for both)."""
        mine = [d for d in (self.current("catalog"), self.current("catalog", bus) if bus else None) if d]
        return max(mine, key=lambda d: d["version"]) if mine else None

    def listing(self) -> list[dict[str, Any]]:
        rows = self.store.query("SELECT DISTINCT kind, bus FROM documents ORDER BY kind, bus")
        return [d for r in rows if (d := self.current(r["kind"], r["bus"])) is not None]

    def publish_document(self, kind: str, bus: str, body: dict[str, Any], user: str, now: float,
                         stamp: Stamp | None = None,
                         on_commit: Callable[[Any, int, dict[str, Any]], None] | None = None) -> dict[str, Any]:
        """Validate, number, store, then publish (retained, QoS 1). Returns the stored record.
        ``on_commit(c, version, payload)`` runs inside the storing transaction (hq.catalog_editor's
        audit record, which carries the changes; it then passes no ``stamp``)."""
        if kind not in KINDS:
            raise DocumentError(f"未知文档 / unknown document kind {kind!r}")
        if kind != "catalog" or bus:
            try:
                protocol.bus_topic(bus, kind)
            except protocol.ProtocolError as e:
                raise DocumentError(f"车辆编号无效 / invalid bus id: {e}") from None
        with self.store.transaction() as c:
            # Catalog versions are one sequence over the fleet and single buses: a bus never sees one go back.
            row = (c.execute(self.store.sql("SELECT MAX(version) FROM documents WHERE kind = 'catalog'")).fetchone()
                   if kind == "catalog" else
                   c.execute(self.store.sql("SELECT MAX(version) FROM documents WHERE kind = ? AND bus = ?"),
                             (kind, bus)).fetchone())
            version = int(row[0] or 0) + 1
            doc = {k: v for k, v in body.items() if k != "version"} | {"version": version}
            try:
                model = protocol.validate(protocol.DOCUMENT_MODELS[kind], doc)
            except protocol.ProtocolError as e:
                raise DocumentError(f"文档无效，未发布 / invalid document, not published: {e}") from None
            self._check_references(kind, bus, model)
            payload = model.model_dump(mode="json", by_alias=True)
            try:
                raw = outbound.check(kind, payload)
            except outbound.OutboundError as e:
                raise DocumentError(str(e), e.status) from None
            c.execute(self.store.sql("INSERT INTO documents(kind, bus, version, body, published_at, published_by) "
                                     "VALUES (?,?,?,?,?,?)"),
                      (kind, bus, version, raw.decode(), now, user))
            if on_commit is not None:
                on_commit(c, version, payload)  # e.g. the audit record, in the same transaction
            if stamp:  # the version only: an appointments document names residents
                stamp.write(c, "catalog" if kind == "catalog" else "document", f"{kind}:{bus or 'fleet'}", None,
                            {"version": version})
        self.flush()
        record = self.current(kind, bus)
        assert record is not None
        return record

    def _check_references(self, kind: str, bus: str, model: protocol.Wire) -> None:
        """A schedule or appointment naming a service the catalog in force lacks would be refused."""
        catalog = self.catalog_for(bus)
        if kind == "catalog" or catalog is None:
            return
        codes = {c["code"] for c in catalog["document"]["services"]}
        used = ({s for v in model.visits for s in v.services} if isinstance(model, protocol.Schedule)
                else {a.service for a in model.items} if isinstance(model, protocol.Appointments) else set())
        unknown = sorted(used - codes)
        if unknown:
            raise DocumentError(f"目录中没有这些服务 / services not in the published catalog: {', '.join(unknown)}")

    def command(self, bus: str, cmd: dict[str, Any], user: str, now: float,
                stamp: Stamp | None = None) -> dict[str, Any]:
        """A command (``announce`` …) for one bus: validated, stored, sent once (QoS 1, not retained)."""
        body = cmd | {"id": cmd.get("id") or uuid.uuid4().hex}
        model_type = protocol.Announce if body.get("cmd") == "announce" else protocol.Cmd
        try:
            protocol.bus_topic(bus, protocol.CMD)
            model = protocol.validate(model_type, body)
        except protocol.ProtocolError as e:
            raise DocumentError(f"命令无效 / invalid command: {e}") from None
        payload = body | model.model_dump(mode="json")
        try:
            raw = outbound.check(protocol.CMD, payload)
        except outbound.OutboundError as e:
            raise DocumentError(str(e), e.status) from None
        with self.store.transaction() as c:
            c.execute(self.store.sql("INSERT INTO commands(id, bus, body, created_at, created_by) VALUES (?,?,?,?,?)"),
                      (payload["id"], bus, raw.decode(), now, user))
            if stamp:
                stamp.write(c, "announcement" if body.get("cmd") == "announce" else "document", f"bus:{bus}",
                            None, {k: v for k, v in payload.items() if k != "id"})
        self.flush()
        return {"id": payload["id"], "bus": bus, "command": payload, "sent": self._sent("commands", payload["id"])}

    def _sent(self, table: str, ident: str) -> bool:
        return bool(self.store.query(f"SELECT sent FROM {table} WHERE id = ?", (ident,))[0]["sent"])

    def replies(self, bus: str) -> list[dict[str, Any]]:
        rows = self.store.query("SELECT c.id, c.body, c.created_at, c.sent, r.ok, r.detail FROM commands c "
                                "LEFT JOIN replies r ON r.bus = c.bus AND r.id = c.id WHERE c.bus = ? "
                                "ORDER BY c.created_at DESC LIMIT 50", (bus,))
        return [{"id": r["id"], "command": json.loads(r["body"]), "created_at": r["created_at"],
                 "sent": bool(r["sent"]),
                 "ok": None if r["ok"] is None else bool(r["ok"]), "detail": r["detail"]} for r in rows]

    def flush(self) -> int:
        """Publish every stored document (newest version per kind and bus) and command not yet sent."""
        if self.publish is None:
            return 0
        sent = 0
        rows = self.store.query("SELECT d.kind, d.bus, d.version, d.body FROM documents d WHERE d.sent = 0 AND "
                                "d.version = (SELECT MAX(version) FROM documents x "
                                "WHERE x.kind = d.kind AND x.bus = d.bus)")
        for r in rows:
            if self.publish(topic_of(r["kind"], r["bus"]), json.loads(r["body"]), 1, True):
                with self.store.transaction() as c:
                    c.execute(self.store.sql("UPDATE documents SET sent = 1 "
                                             "WHERE kind = ? AND bus = ? AND version <= ?"),
                              (r["kind"], r["bus"], r["version"]))
                sent += 1
        for r in self.store.query("SELECT id, bus, body FROM commands WHERE sent = 0 ORDER BY created_at"):
            if self.publish(protocol.bus_topic(r["bus"], protocol.CMD), json.loads(r["body"]), 1, False):
                with self.store.transaction() as c:
                    c.execute(self.store.sql("UPDATE commands SET sent = 1 WHERE id = ?"), (r["id"],))
                sent += 1
        return sent
