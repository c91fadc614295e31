"""Headquarters → bus: versioned documents (catalog, schedule, appointments) and commands.

A document is applied only when it is newer than the one held AND fully valid (shape, privacy,
references to known services); otherwise the old one stays and ``health`` says why. Applying is
one transaction: the documents row, and for appointments the appointment table, change together.
Commands (``ping``, ``announce``) are answered on ``cmd/reply``. Nothing here raises: garbage is
logged, counted and survived.
"""
from __future__ import annotations

import json
import logging
import time
from collections import Counter, deque
from collections.abc import Callable
from typing import Any

from contract import protocol
from contract.protocol import ProtocolError
from telemetry.health import PROBLEM_KEY
from ztc.db import Database, StorageError
from ztc.domain import appointments
from ztc.domain.catalog import effective_catalog
from ztc.domain.context import Ctx
from ztc.domain.errors import QueueError
from ztc.settings import Settings
from ztc.text import Text

log = logging.getLogger(__name__)

# Command replies: the crew reads these in headquarters' console.
INVALID_ANNOUNCEMENT = Text("公告无效", "invalid announcement: {error}")
ANNOUNCEMENT_NOT_STORED = Text("公告未保存", "announcement not stored: {error}")
ANNOUNCEMENT_SHOWN = Text("已显示", "shown")
UNKNOWN_COMMAND = Text("未知命令", "unknown command: {name}")
# A refused document, as health shows it.
VERSION_REFUSED = Text("收到的版本 {version} 无效，继续使用版本 {held}",
                       "version {version} refused, keeping version {held}: {why}")

ANNOUNCEMENT_KEY = "announcement"
# Headquarters numbers each document 1, 2, 3, … (hq/documents.py). A version outside these bounds is
# a fault, not an edit: 10**30 does not fit an SQLite integer, and 2**63-1 held once would make every
# real document "stale" for ever. So a version is a JSON integer (not true, not "5", not 5.0) in
# 1..MAX_DOCUMENT_VERSION, and at most MAX_VERSION_STEP ahead of the one held.
MAX_DOCUMENT_VERSION = 2**31 - 1
MAX_VERSION_STEP = 1_000_000
Reply = Callable[[dict[str, Any]], bool]


def downlink_kind(topic: str, bus: str) -> str | None:
    """Which downlink message a topic carries for this bus: ack, schedule, appointments, cmd, catalog."""
    if topic == protocol.FLEET_CATALOG:
        return "catalog"
    parsed = protocol.parse_bus_topic(topic)
    if parsed and parsed[0] == bus and parsed[1] in protocol.DOWNLINK_SUFFIXES:
        return parsed[1]
    return None


class Downlink:
    def __init__(self, db: Database, settings: Settings, reply: Reply, clock: Callable[[], float] = time.time):
        self.db = db
        self.settings = settings
        self.reply = reply
        self.clock = clock
        self.invalid: Counter[str] = Counter()
        self._recent_cmds: deque[str] = deque(maxlen=200)

    # --- documents -------------------------------------------------------------------------------

    def apply_document(self, kind: str, raw: bytes) -> str:
        """Apply a document if newer and valid. Returns "applied", "stale" or "invalid"."""
        model = protocol.DOCUMENT_MODELS[kind]
        held = self._held_version(kind)
        try:
            data = protocol.decode(raw)
            _check_version(data.get("version"), held)
            doc = protocol.validate(model, data)
        except protocol.ProtocolError as e:
            return self._refuse(kind, _claimed_version(raw), str(e))
        if held is not None and doc.version <= held:
            log.info("%s version %d not newer than held %d; kept", kind, doc.version, held)
            return "stale"
        body = doc.model_dump(mode="json", by_alias=True)
        try:
            with self.db.write() as conn:
                now = self.clock()
                ctx = Ctx(conn, self.settings, now)
                problem = self._reference_problem(kind, doc, ctx)
                if problem:
                    raise QueueError("invalid_document", Text(problem, problem))
                if kind == protocol.APPOINTMENTS:
                    appointments.replace_from_hq(ctx, body["items"])
                conn.execute("INSERT OR REPLACE INTO documents(kind, version, body, applied_at) VALUES (?,?,?,?)",
                             (kind, doc.version, json.dumps(body, ensure_ascii=False, separators=(",", ":")), now))
                conn.execute("DELETE FROM meta WHERE key = ?", (PROBLEM_KEY.format(kind=kind),))
        except QueueError as e:
            return self._refuse(kind, doc.version, e.en)
        except StorageError as e:
            log.error("%s version %d not stored: %s", kind, doc.version, e)
            return "invalid"
        log.info("applied %s version %d", kind, doc.version)
        return "applied"

    def _held_version(self, kind: str) -> int | None:
        with self.db.read() as conn:
            row = conn.execute("SELECT version FROM documents WHERE kind = ?", (kind,)).fetchone()
        return None if row is None else int(row[0])

    def _reference_problem(self, kind: str, doc: Any, ctx: Ctx) -> str | None:
        """Cross-checks the shape cannot express: services named must exist in the catalog in force."""
        if kind == "catalog":
            return None
        known = set(effective_catalog(ctx.conn, self.settings).prefixes)
        if kind == protocol.SCHEDULE:
            unknown = sorted({s for v in doc.visits for s in v.services} - known)
        else:
            unknown = sorted({a.service for a in doc.items} - known)
        return f"unknown services {unknown}" if unknown else None

    def _refuse(self, kind: str, version: int | None, why: str) -> str:
        self.invalid[kind] += 1
        held = self._held_version(kind)
        if version is not None and held is not None and version <= held:
            log.info("old invalid %s version %s ignored", kind, version)
            return "invalid"
        shown = version if version is not None else "?"
        note = str(VERSION_REFUSED.format(version=shown, held=held or 0, why=why))[:500]
        log.warning("%s: %s", kind, note)
        try:
            with self.db.write() as conn:
                conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)",
                             (PROBLEM_KEY.format(kind=kind), note))
        except StorageError as e:
            log.error("cannot record the document problem: %s", e)
        return "invalid"

    # --- commands --------------------------------------------------------------------------------

    def handle_cmd(self, raw: bytes) -> str:
        """Answer a command; returns what happened ("replied", "duplicate", "invalid")."""
        try:
            data = protocol.decode(raw)
            cmd = protocol.validate(protocol.Cmd, data)
        except protocol.ProtocolError as e:
            self.invalid["cmd"] += 1
            log.warning("command refused (cannot answer it): %s", e)
            return "invalid"
        if cmd.id in self._recent_cmds:
            return "duplicate"  # QoS 1 may deliver twice; a command acts once
        self._recent_cmds.append(cmd.id)
        ok, detail = self._run(cmd.cmd, data)
        self.reply({"id": cmd.id, "ok": ok, "detail": detail})
        return "replied"

    def _run(self, name: str, data: dict[str, Any]) -> tuple[bool, str]:
        if name == "ping":
            return True, "pong"
        if name == "announce":
            try:
                msg = protocol.validate(protocol.Announce, data)
            except protocol.ProtocolError as e:
                self.invalid["cmd"] += 1
                return False, str(INVALID_ANNOUNCEMENT.format(error=e))
            value = {"text_zh": msg.text_zh, "text_en": msg.text_en, "until": msg.until, "ts": self.clock(),
                     "id": msg.id}
            try:
                with self.db.write() as conn:
                    conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)",
                                 (ANNOUNCEMENT_KEY, json.dumps(value, ensure_ascii=False)))
            except StorageError as e:
                return False, str(ANNOUNCEMENT_NOT_STORED.format(error=e))
            return True, str(ANNOUNCEMENT_SHOWN)
        self.invalid["cmd"] += 1
        return False, str(UNKNOWN_COMMAND.format(name=name[:32]))


def _check_version(version: object, held: int | None) -> None:
    """Raise ProtocolError unless ``version`` is a plausible next document version."""
    if type(version) is not int:  # bool is an int subclass; "5" and 5.0 are not versions either
        shown = repr(version)[:40]
        raise ProtocolError(f"version must be a whole number, not {type(version).__name__} {shown}")
    if not 1 <= version <= MAX_DOCUMENT_VERSION:
        raise ProtocolError(f"version {_short(version)} out of range 1..{MAX_DOCUMENT_VERSION}")
    if version > (held or 0) + MAX_VERSION_STEP:
        raise ProtocolError(f"version {version} jumps more than {MAX_VERSION_STEP} past the held {held or 0}")


def _short(n: int) -> str:
    text = str(n)
    return text if len(text) <= 24 else f"{text[:12]}…({len(text)} digits)"


def _claimed_version(raw: bytes) -> int | None:
    """The version an invalid document claims, if it is a sane one (for the health note only)."""
    try:
        v = protocol.decode(raw).get("version")
    except protocol.ProtocolError:
        return None
    return v if type(v) is int and 1 <= v <= MAX_DOCUMENT_VERSION else None
