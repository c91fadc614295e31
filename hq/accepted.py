"""Accepted cases (受理) after the bus leaves: follow each to 办结 and, when mailed, its EMS number.

A case is derived from a stored ``ticket.served`` event whose outcome is ``accepted`` (``sync``),
keyed by the event id, so a resend never makes two cases. The provincial platform's case number,
the department and the promised date come from the bus (typed by the crew); headquarters staff
mark the case 办结 and add the EMS number. A case past its promised date (the county's calendar
day) and not yet done is overdue and alerts. The ticket's page shows the progress to the resident.
"""
from __future__ import annotations

import json
import re
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from hq.storage import HqStore

EMS_RE = re.compile(r"^[A-Za-z0-9]{8,20}$")
STATUS_TEXT = {"open": ("已受理，办理中", "accepted, being processed"), "done": ("已办结", "completed")}


class AcceptedError(ValueError):
    """A refused change; the text is shown to the staff member (Chinese / English)."""


class AcceptedCases:
    def __init__(self, store: HqStore):
        self.store = store

    def sync(self) -> int:
        """A case for every stored 受理 record not yet one; returns how many were added."""
        rows = self.store.query(
            "SELECT e.id, e.bus, e.ts, e.data FROM events e LEFT JOIN accepted_cases a ON a.event_id = e.id "
            "WHERE e.type = 'ticket.served' AND a.event_id IS NULL "
            f"AND {self.store.json_text('e.data', 'outcome')} = 'accepted'")
        if not rows:
            return 0
        with self.store.transaction() as c:
            for r in rows:
                d = json.loads(r["data"])
                c.execute(self.store.sql(
                    "INSERT INTO accepted_cases(event_id, bus, ts, ticket_id, number, service, item, case_no, "
                    "department, promised_date) VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING"),
                    (r["id"], r["bus"], r["ts"], str(d.get("ticket_id") or ""), d.get("number"), d.get("service"),
                     d.get("item"), _text(d.get("case_no")), _text(d.get("department")),
                     _date_text(d.get("promised_date"))))
        return len(rows)

    def listing(self, today: date, status: str | None = None, bus: str | None = None,
                start: float | None = None, end: float | None = None) -> list[dict[str, Any]]:
        self.sync()
        where, args = [], []
        for col, val in (("status = ?", status), ("bus = ?", bus), ("ts >= ?", start), ("ts < ?", end)):
            if val is not None:
                where.append(col)
                args.append(val)
        rows = self.store.query("SELECT * FROM accepted_cases" + (" WHERE " + " AND ".join(where) if where else "")
                                + " ORDER BY status DESC, promised_date, ts", tuple(args))
        return [self._row(r, today) for r in rows]

    def for_ticket(self, ticket_id: str, today: date) -> dict[str, Any] | None:
        self.sync()
        rows = self.store.query("SELECT * FROM accepted_cases WHERE ticket_id = ? ORDER BY ts DESC", (ticket_id,))
        return self._row(rows[0], today) if rows else None

    def overdue(self, today: date) -> list[dict[str, Any]]:
        return [c for c in self.listing(today, "open") if c["overdue"]]

    @staticmethod
    def _row(r: Any, today: date) -> dict[str, Any]:
        promised = r["promised_date"]
        overdue = r["status"] == "open" and promised is not None and promised < today.isoformat()
        zh, en = STATUS_TEXT.get(r["status"], (r["status"], r["status"]))
        return {"id": r["event_id"], "bus": r["bus"], "ts": r["ts"], "ticket_id": r["ticket_id"],
                "number": r["number"], "service": r["service"], "item": r["item"], "case_no": r["case_no"],
                "department": r["department"], "promised_date": promised, "status": r["status"],
                "status_text": f"{zh} / {en}", "overdue": overdue, "done_at": r["done_at"], "done_by": r["done_by"],
                "note": r["note"], "ems_no": r["ems_no"], "ems_at": r["ems_at"], "ems_by": r["ems_by"]}

    def update(self, case_id: str, user: str, now: float, tz: ZoneInfo, done: bool = False,
               ems_no: str | None = None, note: str | None = None) -> dict[str, Any]:
        """Mark 办结 (once; keeps who and when) and/or add the EMS number of the mailed certificate."""
        self.sync()
        today = datetime.fromtimestamp(now, tz).date()
        rows = self.store.query("SELECT * FROM accepted_cases WHERE event_id = ?", (case_id,))
        if not rows:
            raise AcceptedError(f"没有这个受理件 / no such accepted case: {case_id}")
        r = rows[0]
        if ems_no is not None:
            ems_no = ems_no.strip().upper()
            if not EMS_RE.match(ems_no):
                raise AcceptedError(f"EMS 单号应为 8 到 20 位字母或数字 / the EMS number is 8 to 20 letters or "
                                    f"digits: {ems_no[:40]}")
            if r["status"] != "done" and not done:
                raise AcceptedError("请先标记办结，再填写邮寄单号 / "
                                    "mark the case completed before adding the EMS number")
        if not done and ems_no is None and note is None:
            raise AcceptedError("没有要更改的内容 / nothing to change")
        with self.store.transaction() as c:
            if done and r["status"] != "done":
                c.execute(self.store.sql("UPDATE accepted_cases SET status = 'done', done_at = ?, done_by = ? "
                                         "WHERE event_id = ?"), (now, user, case_id))
            if ems_no is not None:
                c.execute(self.store.sql("UPDATE accepted_cases SET ems_no = ?, ems_at = ?, ems_by = ? "
                                         "WHERE event_id = ?"), (ems_no, now, user, case_id))
            if note is not None:
                c.execute(self.store.sql("UPDATE accepted_cases SET note = ? WHERE event_id = ?"),
                          (note.strip()[:500], case_id))
        return self._row(self.store.query("SELECT * FROM accepted_cases WHERE event_id = ?", (case_id,))[0], today)

    @staticmethod
    def public(case: dict[str, Any]) -> dict[str, Any]:
        """What the ticket's holder sees (no staff names, no notes)."""
        return {k: case[k] for k in ("case_no", "department", "promised_date", "status", "status_text", "overdue",
                                     "done_at", "ems_no")}


def _text(v: Any) -> str | None:
    return str(v)[:60] if isinstance(v, str) and v.strip() else None


def _date_text(v: Any) -> str | None:
    try:
        return date.fromisoformat(v).isoformat() if isinstance(v, str) else None
    except ValueError:
        return None
