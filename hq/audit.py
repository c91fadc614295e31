"""The audit log: who changed what at headquarters, when, from where, before and after.

Why its own table with triggers: China's graded protection scheme (等保 2.0) asks a government system
to keep a record of every staff action that nobody can alter, for at least 180 days. The log is
written in the same transaction as the change it records (``record(c, …)`` inside the caller's
``store.transaction()``), so a change without its record cannot commit. ztc offers no way to edit or
delete it: triggers (hq/migrations.py step 4: SQLite triggers, a PostgreSQL trigger function) refuse
every UPDATE, and every DELETE of a row younger than the retention (housekeeping may delete only what
is older; ``retention_days`` is never below 180).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hq.migrations import AUDIT_KEEP_DAYS
from hq.storage import HqStore

MIN_RETENTION_DAYS = AUDIT_KEEP_DAYS  # the triggers' figure

# The kinds of staff action. A new kind is added here, so the search page can offer it.
KINDS: dict[str, tuple[str, str]] = {
    "login": ("登录", "log-in"),
    "login_failed": ("登录失败", "failed log-in"),
    "logout": ("退出", "log-out"),
    "account": ("账号", "account"),
    "booking": ("预约", "booking"),
    "booking_phone": ("查看预约电话", "booking phone opened"),
    "calendar": ("线路日历", "route calendar"),
    "stop": ("站点", "stop"),
    "liaison_phone": ("查看联络员电话", "liaison phone opened"),
    "catalog": ("事项清单", "service list"),
    "case": ("差评整改", "case"),
    "case_phone": ("查看回访电话", "callback number opened"),
    "announcement": ("通知", "announcement"),
    "document": ("下发文档", "document"),
}


_MAX_FIELD = 8000  # characters of before/after kept per row: enough for a form, bounded for a flood


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: float
    actor: str
    client: str
    kind: str
    target: str
    before: Any
    after: Any

    def as_dict(self) -> dict[str, Any]:
        zh, en = KINDS.get(self.kind, (self.kind, self.kind))
        return {"id": self.id, "at": self.at, "actor": self.actor, "client": self.client, "kind": self.kind,
                "kind_zh": zh, "kind_en": en, "target": self.target, "before": self.before, "after": self.after}


def _dump(value: Any) -> str | None:
    if value is None:
        return None
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return text if len(text) <= _MAX_FIELD else text[:_MAX_FIELD] + "…"


def _load(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text  # a field cut at _MAX_FIELD is shown as the text it is


class AuditLog:
    def __init__(self, store: HqStore, retention_days: int = MIN_RETENTION_DAYS):
        self.store = store
        self.retention_days = max(MIN_RETENTION_DAYS, retention_days)

    def record(self, c: Any, *, at: float, actor: str, client: str, kind: str, target: str,
               before: Any = None, after: Any = None) -> None:
        """Inside the caller's transaction ``c`` (from ``store.transaction()``)."""
        if kind not in KINDS:
            raise ValueError(f"unknown audit kind {kind!r}: add it to hq.audit.KINDS")
        c.execute(self.store.sql(
            "INSERT INTO audit_log(at, actor, client, kind, target, before, after) VALUES (?,?,?,?,?,?,?)"),
            (at, actor[:64], client[:64], kind, target[:200], _dump(before), _dump(after)))

    def record_alone(self, **fields: Any) -> None:
        """For an action that changes nothing else (a log-in, opening a phone number)."""
        with self.store.transaction() as c:
            self.record(c, **fields)

    def search(self, tz: ZoneInfo, *, actor: str | None = None, kind: str | None = None,
               day_from: date | None = None, day_to: date | None = None, limit: int = 200) -> list[AuditEntry]:
        """Newest first; days are the county's (``tz``), both ends included."""
        where, args = [], []
        if actor:
            where.append("actor = ?")
            args.append(actor)
        if kind:
            where.append("kind = ?")
            args.append(kind)
        if day_from:
            where.append("at >= ?")
            args.append(datetime(day_from.year, day_from.month, day_from.day, tzinfo=tz).timestamp())
        if day_to:
            end = day_to + timedelta(days=1)
            where.append("at < ?")
            args.append(datetime(end.year, end.month, end.day, tzinfo=tz).timestamp())
        sql = "SELECT id, at, actor, client, kind, target, before, after FROM audit_log"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY at DESC, id DESC LIMIT ?"
        args.append(max(1, min(limit, 1000)))
        return [AuditEntry(r["id"], r["at"], r["actor"], r["client"], r["kind"], r["target"],
                           _load(r["before"]), _load(r["after"])) for r in self.store.query(sql, tuple(args))]

    def purge(self, now: float) -> int:
        """Housekeeping: delete rows older than the retention (never younger than 180 days)."""
        cutoff = now - self.retention_days * 86400
        with self.store.transaction() as c:
            cur = c.execute(self.store.sql("DELETE FROM audit_log WHERE at < ?"), (cutoff,))
            return cur.rowcount


@dataclass(frozen=True)
class Stamp:
    """Who makes a change, from where and when: handed down to the module that makes it, so the record
    is written inside the change's own transaction (``stamp.write(c, …)``)."""

    log: AuditLog
    at: float
    actor: str
    client: str

    def write(self, c: Any, kind: str, target: str, before: Any = None, after: Any = None) -> None:
        self.log.record(c, at=self.at, actor=self.actor, client=self.client, kind=kind, target=target,
                        before=before, after=after)

    def alone(self, kind: str, target: str, before: Any = None, after: Any = None) -> None:
        self.log.record_alone(at=self.at, actor=self.actor, client=self.client, kind=kind, target=target,
                              before=before, after=after)
