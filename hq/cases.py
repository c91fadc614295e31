"""Bad-rating follow-up (差评整改) as the 好差评 rules ask: 待回访 callback → 核实 verification →
整改 action with evidence → 复核 re-check by a second staff member → 已办结 closed.

One case per ticket whose rating, or any later addition, is 不满意 or 非常不满意 (国办发〔2019〕51号:
the last two of the five levels are 差评). Cases are derived from what is stored (``sync``), keyed by
the ticket, so a rating resent by a bus, or rated again from the phone, never makes two. A case
starts at 待回访 when the resident left a number (the callback is asked for), else at 核实.
核实 records whether the rating is justified and its class (``CASE_CLASSES``); a justified one goes
to 整改 (what was done, with photos or PDFs as evidence), an unjustified one straight to 复核 with
its reason. 复核 must be done by another staff member than the one who acted; it closes the case
with a written resolution, or sends it back. Every step keeps who and when (``case_steps``).

Deadlines are in working days of the county's calendar (``ztc.workdays``, the same one the route
calendar uses): the callback within ``hq.callback_working_days`` (1), the whole case within
``hq.case_working_days`` (5, the 5 working days Shandong's cities set for 整改反馈). An overdue case
is escalated once to the admins (an alert naming them, and an ``escalate`` step).
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hq import contacts
from hq.audit import AuditLog
from hq.storage import HqStore
from ztc.domain.vocabulary import RATING_LEVELS, RATING_REASON_TEXT
from ztc.workdays import WorkCalendar

BAD_AT_OR_BELOW = 2

STATES: dict[str, tuple[str, str]] = {
    "callback": ("待回访", "awaiting callback"),
    "verify": ("待核实", "awaiting verification"),
    "action": ("待整改", "awaiting action"),
    "recheck": ("待复核", "awaiting re-check"),
    "closed": ("已办结", "closed"),
}
# How a bad rating is judged at 核实 (the handling classes of 国办发〔2019〕51号 as Shandong's plans
# repeat them; GB/T 39734-2020 §9.2's own class list could not be read). (zh, en, justified)
CASE_CLASSES: dict[str, tuple[str, str, bool]] = {
    "fix_now": ("情况清楚、诉求合理，立行立改", "clear and reasonable: fixed at once", True),
    "fix_later": ("情况复杂、一时难以解决，建立台账限期整改", "complex: logged, fixed by a set date", True),
    "no_basis": ("缺乏法定依据，做好解释说明", "no legal basis: explained to the resident", False),
    "mistaken": ("误评", "rated by mistake", False),
    "malicious": ("恶意差评", "malicious rating", False),
}
EVIDENCE_TYPES = {"image/jpeg", "image/png", "application/pdf"}
MAX_EVIDENCE = 5 * 1024 * 1024



class CaseError(ValueError):
    """A refused case change; the text is shown to the staff member (Chinese / English)."""


def _end_of(d: date, tz: ZoneInfo) -> float:
    return datetime.combine(d + timedelta(days=1), time(0), tz).timestamp()


class Cases:
    def __init__(
        self,
        store: HqStore,
        ratings: Any,
        calendar: Callable[[], WorkCalendar],
        tz: ZoneInfo,
        audit: AuditLog,
        case_working_days: int = 5,
        callback_working_days: int = 1,
    ):
        self.store, self.ratings, self.calendar, self.tz, self.audit = store, ratings, calendar, tz, audit
        self.case_days, self.callback_days = case_working_days, callback_working_days

    # --- opening ----------------------------------------------------------------------------------

    def deadlines(self, opened_at: float) -> tuple[float, float]:
        """(callback due, case due): ends of the n-th working day after the day the case opened."""
        cal, day = self.calendar(), datetime.fromtimestamp(opened_at, self.tz).date()
        return (
            _end_of(cal.add_working_days(day, self.callback_days), self.tz),
            _end_of(cal.add_working_days(day, self.case_days), self.tz),
        )

    def sync(self, now: float) -> int:
        """Open a case for every ticket with a bad entry not yet a case; note newly arrived numbers."""
        bad = {
            r["t"]: r["bus"]
            for r in self.store.query(
                f"SELECT COALESCE({self.store.json_text('data', 'ticket_id')}, id) AS t, bus FROM events "
                "WHERE type = 'rating' "
                f"AND {self.store.json_int('data', 'level')} BETWEEN 1 AND ?",
                (BAD_AT_OR_BELOW,),
            )
        }
        bad |= {
            r["ticket_id"]: r["bus"]
            for r in self.store.query(
                "SELECT ticket_id, bus FROM phone_ratings WHERE level BETWEEN 1 AND ?", (BAD_AT_OR_BELOW,)
            )
        }
        known = {r["ticket_id"] for r in self.store.query("SELECT ticket_id FROM rating_cases")}
        wanted = {r["ticket_id"] for r in self.store.query("SELECT ticket_id FROM case_contacts")}
        opened = 0
        with self.store.transaction() as c:
            for ticket, bus in sorted(bad.items()):
                if ticket in known or not isinstance(ticket, str):
                    continue
                entries = self.ratings.entries(ticket)
                worst = min(entries, key=lambda e: (e["level"] or 9, e["ts"]))
                if worst["level"] is None:  # a level that is not a whole number (1.7, "bad") opens no case
                    continue
                first = entries[0]
                data = {
                    "number": self._issued_field(ticket, "number"),
                    "service": self._issued_field(ticket, "service"),
                    "reasons": worst["reasons"],
                    "text": worst["text"],
                    "source": worst["source"],
                    **self._rating_context(ticket),
                }
                callback_due, deadline = self.deadlines(now)
                has_phone = ticket in wanted
                c.execute(
                    self.store.sql(
                        "INSERT INTO rating_cases(ticket_id, bus, opened_at, rated_at, level, data, status, "
                        "callback_wanted, "
                        "callback_due, deadline) VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING"
                    ),
                    (
                        ticket,
                        bus,
                        now,
                        first["ts"],
                        worst["level"],
                        json.dumps(data, ensure_ascii=False),
                        "callback" if has_phone else "verify",
                        int(has_phone),
                        callback_due,
                        deadline,
                    ),
                )
                self._step(c, ticket, "open", "system", now, "差评自动立案 / opened from the bad rating")
                opened += 1
            # A number that reached headquarters after its case was opened (two events, any order).
            c.execute(
                self.store.sql(
                    "UPDATE rating_cases SET callback_wanted = 1, status = CASE WHEN status = 'verify' AND "
                    "justified IS NULL THEN 'callback' ELSE status END WHERE callback_wanted = 0 AND closed_at IS NULL "
                    "AND ticket_id IN (SELECT ticket_id FROM case_contacts)"
                )
            )
        return opened

    def _issued_field(self, ticket: str, name: str) -> Any:
        rows = self.store.query(
            f"SELECT data FROM events WHERE type = 'ticket.issued' AND {self.store.json_text('data', 'ticket_id')} = ?",
            (ticket,),
        )
        return json.loads(rows[0]["data"]).get(name) if rows else None

    def _rating_context(self, ticket: str) -> dict[str, Any]:
        rows = self.store.query(
            f"SELECT data FROM events WHERE type = 'rating' AND {self.store.json_text('data', 'ticket_id')} = ?",
            (ticket,),
        )
        d = json.loads(rows[0]["data"]) if rows else {}
        return (
            {"window": d.get("window"), "crew": d.get("crew"), "number": d.get("number"), "service": d.get("service")}
            if rows
            else {}
        )

    # --- reading ----------------------------------------------------------------------------------

    def listing(self, now: float, status: str | None = None, bus: str | None = None) -> list[dict[str, Any]]:
        self.sync(now)
        where, args = [], []
        if status == "open":
            where.append("status <> 'closed'")
        elif status in STATES:
            where.append("status = ?")
            args.append(status)
        if bus:
            where.append("bus = ?")
            args.append(bus)
        rows = self.store.query(
            "SELECT * FROM rating_cases"
            + (" WHERE " + " AND ".join(where) if where else "")
            + " ORDER BY closed_at IS NOT NULL, deadline",
            tuple(args),
        )
        return [self._row(r, now) for r in rows]

    def get(self, ticket_id: str, now: float) -> dict[str, Any]:
        self.sync(now)
        rows = self.store.query("SELECT * FROM rating_cases WHERE ticket_id = ?", (ticket_id,))
        if not rows:
            raise CaseError(f"没有这个整改单 / no such case: {ticket_id}")
        out = self._row(rows[0], now)
        out["steps"] = [
            {
                "step": s["step"],
                "actor": s["actor"],
                "at": s["at"],
                "note": s["note"],
                "extra": json.loads(s["extra"]) if s["extra"] else None,
            }
            for s in self.store.query("SELECT * FROM case_steps WHERE ticket_id = ? ORDER BY n", (ticket_id,))
        ]
        out["evidence"] = [
            dict(e)
            for e in self.store.query(
                "SELECT id, name, media_type, size, actor, at FROM case_evidence WHERE ticket_id = ? ORDER BY at",
                (ticket_id,),
            )
        ]
        out["ratings"] = self.ratings.entries(ticket_id)
        return out

    def _row(self, r: Any, now: float) -> dict[str, Any]:
        data = json.loads(r["data"])
        due = r["callback_due"] if r["status"] == "callback" else r["deadline"]
        contact = self.store.query("SELECT phone FROM case_contacts WHERE ticket_id = ?", (r["ticket_id"],))
        return {
            "id": r["ticket_id"],
            "bus": r["bus"],
            "ts": r["rated_at"],
            "opened_at": r["opened_at"],
            "level": r["level"],
            "level_text": " / ".join(RATING_LEVELS.get(r["level"], ("?", "?"))),
            "reasons": [
                {"code": c, "text": " / ".join(RATING_REASON_TEXT.get(c, (c, c)))} for c in data.get("reasons") or []
            ],
            "text": data.get("text") or "",
            "number": data.get("number"),
            "service": data.get("service"),
            "window": data.get("window"),
            "crew": data.get("crew"),
            "status": r["status"],
            "status_text": " / ".join(STATES[r["status"]]),
            "handler": r["handler"],
            "assignee": r["handler"],
            "callback_wanted": bool(r["callback_wanted"]),
            "phone_masked": contacts.mask(contact[0]["phone"]) if contact else None,
            "callback_due": r["callback_due"],
            "deadline": r["deadline"],
            "due": due,
            "overdue": r["status"] != "closed" and now > due,
            "escalated_at": r["escalated_at"],
            "justified": None if r["justified"] is None else bool(r["justified"]),
            "reason_class": r["reason_class"],
            "reason_class_text": " / ".join(CASE_CLASSES[r["reason_class"]][:2]) if r["reason_class"] else None,
            "acted_by": r["acted_by"],
            "resolution": r["resolution"],
            "closed_at": r["closed_at"],
        }

    # --- working a case ---------------------------------------------------------------------------

    def _case(self, ticket_id: str) -> Any:
        rows = self.store.query("SELECT * FROM rating_cases WHERE ticket_id = ?", (ticket_id,))
        if not rows:
            raise CaseError(f"没有这个整改单 / no such case: {ticket_id}")
        return rows[0]

    def _step(self, c: Any, ticket: str, step: str, actor: str, at: float, note: str, extra: Any = None) -> None:
        n = c.execute(self.store.sql("SELECT COUNT(*) FROM case_steps WHERE ticket_id = ?"), (ticket,)).fetchone()[0]
        c.execute(
            self.store.sql(
                "INSERT INTO case_steps(id, ticket_id, n, step, actor, at, note, extra) VALUES (?,?,?,?,?,?,?,?)"
            ),
            (
                str(uuid.uuid4()),
                ticket,
                n + 1,
                step,
                actor,
                at,
                note,
                json.dumps(extra, ensure_ascii=False) if extra is not None else None,
            ),
        )

    def assign(self, ticket_id: str, handler: str, user: str, role: str, now: float, client: str) -> dict[str, Any]:
        """An operator takes an unassigned case; an admin may (re)assign any open case."""
        self.sync(now)
        r = self._case(ticket_id)
        if r["status"] == "closed":
            raise CaseError("已办结的整改单不能再分派 / a closed case cannot be reassigned")
        if role != "admin" and (handler != user or r["handler"] not in (None, user)):
            raise CaseError("只能认领未分派的整改单；改派需要管理员 / take only unassigned cases; admins reassign")
        with self.store.transaction() as c:
            c.execute(self.store.sql("UPDATE rating_cases SET handler = ? WHERE ticket_id = ?"), (handler, ticket_id))
            self._step(c, ticket_id, "assign", user, now, f"承办人 / handler: {handler}")
            self.audit.record(
                c,
                at=now,
                actor=user,
                client=client,
                kind="case",
                target=ticket_id,
                before={"handler": r["handler"]},
                after={"handler": handler},
            )
        return self.get(ticket_id, now)

    def act(
        self,
        ticket_id: str,
        step: str,
        user: str,
        now: float,
        client: str,
        note: str,
        justified: bool | None = None,
        reason_class: str | None = None,
        ok: bool | None = None,
    ) -> dict[str, Any]:
        """One step of the case by ``user``; refused (CaseError) when it is not this step's turn or person."""
        self.sync(now)
        r = self._case(ticket_id)
        note = (note or "").strip()
        if not note:
            raise CaseError("请写明本步情况 / write what was done in this step")
        if step != "recheck" and r["handler"] != user:
            raise CaseError(
                f"只有承办人 {r['handler'] or '（未分派）'} 能办理此步 / only the case's handler may do this step"
            )
        expected = {"callback": "callback", "verify": "verify", "action": "action", "recheck": "recheck"}
        if expected.get(r["status"]) != step:
            raise CaseError(f"当前应办理：{STATES[r['status']][0]} / the case is {STATES[r['status']][1]}")
        sets: dict[str, Any] = {}
        extra: dict[str, Any] | None = None
        if step == "callback":
            sets["status"] = "verify"
        elif step == "verify":
            if reason_class not in CASE_CLASSES:
                raise CaseError("请选择核实结论的类别 / choose the class of the finding")
            justified = CASE_CLASSES[reason_class][2]
            sets |= {
                "justified": int(justified),
                "reason_class": reason_class,
                "status": "action" if justified else "recheck",
            }
            if not justified:
                sets |= {"acted_by": user, "resolution": note}  # the written reason is the resolution
            extra = {"justified": justified, "reason_class": reason_class}
        elif step == "action":
            sets |= {"status": "recheck", "acted_by": user, "resolution": note}
        elif step == "recheck":
            if user == r["acted_by"]:
                raise CaseError("复核须由另一名工作人员办理 / the re-check needs a second staff member")
            if ok is None:
                raise CaseError("请选择复核结论 / choose whether the re-check passes")
            if ok:
                if not (r["resolution"] or "").strip():
                    raise CaseError("结案需要书面整改结果 / closing needs a written resolution")
                sets |= {"status": "closed", "closed_at": now}
            else:
                sets |= {"status": "action" if r["justified"] else "verify", "acted_by": None}
            extra = {"ok": ok}
        with self.store.transaction() as c:
            cols = ", ".join(f"{k} = ?" for k in sets)
            c.execute(
                self.store.sql(f"UPDATE rating_cases SET {cols} WHERE ticket_id = ?"), (*sets.values(), ticket_id)
            )
            self._step(c, ticket_id, step, user, now, note, extra)
            if sets.get("status") == "closed":  # the number's retention starts now
                c.execute(
                    self.store.sql("UPDATE case_contacts SET purge_after = ? WHERE ticket_id = ?"),
                    (now + contacts.RETENTION_DAYS * 86400, ticket_id),
                )
            self.audit.record(
                c,
                at=now,
                actor=user,
                client=client,
                kind="case",
                target=ticket_id,
                before={"status": r["status"]},
                after={"step": step, **sets, "note": note},
            )
        return self.get(ticket_id, now)

    def add_evidence(
        self, ticket_id: str, user: str, now: float, client: str, name: str, media_type: str, body: bytes
    ) -> dict[str, Any]:
        r = self._case(ticket_id)
        if r["handler"] != user:
            raise CaseError("只有承办人能上传整改材料 / only the case's handler may attach evidence")
        if r["status"] == "closed":
            raise CaseError("已办结 / the case is closed")
        if media_type not in EVIDENCE_TYPES:
            raise CaseError("只接受 JPEG、PNG 照片或 PDF / only JPEG or PNG photos and PDFs")
        if not body or len(body) > MAX_EVIDENCE:
            raise CaseError("文件为空或超过 5 MB / the file is empty or over 5 MB")
        magic = {"image/jpeg": b"\xff\xd8", "image/png": b"\x89PNG", "application/pdf": b"%PDF"}[media_type]
        if not body.startswith(magic):
            raise CaseError("文件内容与类型不符 / the file is not what its type says")
        eid = str(uuid.uuid4())
        with self.store.transaction() as c:
            c.execute(
                self.store.sql(
                    "INSERT INTO case_evidence(id, ticket_id, name, media_type, body, size, actor, at) "
                    "VALUES (?,?,?,?,?,?,?,?)"
                ),
                (
                    eid,
                    ticket_id,
                    name[:120] or "evidence",
                    media_type,
                    base64.b64encode(body).decode(),
                    len(body),
                    user,
                    now,
                ),
            )
            self.audit.record(
                c,
                at=now,
                actor=user,
                client=client,
                kind="case",
                target=ticket_id,
                after={"evidence": name[:120], "size": len(body)},
            )
        return {"id": eid, "name": name, "media_type": media_type, "size": len(body)}

    def evidence(self, ticket_id: str, evidence_id: str) -> tuple[str, str, bytes]:
        rows = self.store.query(
            "SELECT name, media_type, body FROM case_evidence WHERE id = ? AND ticket_id = ?", (evidence_id, ticket_id)
        )
        if not rows:
            raise CaseError("没有这个材料 / no such evidence")
        return rows[0]["name"], rows[0]["media_type"], base64.b64decode(rows[0]["body"])

    def phone(self, ticket_id: str, user: str, now: float, client: str) -> str:
        """The callback number, for the case's handler only; every opening is in the audit log."""
        r = self._case(ticket_id)
        if r["handler"] != user:
            raise CaseError("回访电话只对承办人显示 / the number is shown only to the case's handler")
        rows = self.store.query("SELECT phone FROM case_contacts WHERE ticket_id = ?", (ticket_id,))
        if not rows:
            raise CaseError("没有回访电话（未留或已按期删除）/ no number (none left, or deleted after retention)")
        self.audit.record_alone(at=now, actor=user, client=client, kind="case_phone", target=ticket_id)
        return rows[0]["phone"]

    # --- deadlines and housekeeping ---------------------------------------------------------------

    def escalate(self, now: float) -> list[str]:
        """Mark every newly overdue open case escalated (once), with a step naming the admins."""
        self.sync(now)
        late = [
            r["ticket_id"]
            for r in self.store.query(
                "SELECT ticket_id FROM rating_cases WHERE closed_at IS NULL AND escalated_at IS NULL AND "
                "((status = 'callback' AND callback_due < ?) OR deadline < ?)",
                (now, now),
            )
        ]
        if late:
            with self.store.transaction() as c:
                for t in late:
                    c.execute(self.store.sql("UPDATE rating_cases SET escalated_at = ? WHERE ticket_id = ?"), (now, t))
                    self._step(c, t, "escalate", "system", now, "超期，已上报管理员 / overdue: escalated to the admins")
        return late

    def purge_contacts(self, now: float) -> int:
        """Delete every callback number whose case closed more than the retention ago."""
        with self.store.transaction() as c:
            return c.execute(
                self.store.sql("DELETE FROM case_contacts WHERE purge_after IS NOT NULL AND purge_after < ?"), (now,)
            ).rowcount

    def figures(self, now: float, start: float = 0, end: float | None = None,
                bus: str | None = None) -> dict[str, Any]:
        """好评率, 差评数, 回访率 (callbacks made / asked for), 整改率, average days to close; the case
        figures for one bus when ``bus`` is given (the periodic reports)."""
        end = end if end is not None else now + 1
        self.sync(now)
        summary = self.ratings.summary(start, end)
        sql, args = "SELECT * FROM rating_cases WHERE opened_at >= ? AND opened_at < ?", [start, end]
        if bus is not None:
            sql += " AND bus = ?"
            args.append(bus)
        rows = self.store.query(sql, tuple(args))
        asked = [r for r in rows if r["callback_wanted"]]
        called = {
            s["ticket_id"]
            for s in self.store.query("SELECT DISTINCT ticket_id FROM case_steps WHERE step = 'callback'")
        }
        justified = [r for r in rows if r["justified"] == 1]
        fixed = [r for r in justified if r["status"] == "closed"]
        closed = [r for r in rows if r["closed_at"] is not None]
        return {
            **summary,
            "cases": len(rows),
            "open": len(rows) - len(closed),
            "overdue": sum(
                1
                for r in rows
                if r["closed_at"] is None and now > (r["callback_due"] if r["status"] == "callback" else r["deadline"])
            ),
            "callbacks_asked": len(asked),
            "callbacks_made": sum(1 for r in asked if r["ticket_id"] in called),
            "callback_rate": round(sum(1 for r in asked if r["ticket_id"] in called) / len(asked), 4)
            if asked
            else None,
            "justified": len(justified),
            "fixed": len(fixed),
            "fix_rate": round(len(fixed) / len(justified), 4) if justified else None,
            "avg_days_to_close": round(sum((r["closed_at"] - r["opened_at"]) for r in closed) / len(closed) / 86400, 2)
            if closed
            else None,
        }
