"""The kept regular reports: each (kind, period) made once by the timer, or again on demand, and
stored in the headquarters database (PDF as base64 text, CSV and the figures as JSON) so they
survive restarts, move with the database and need no directory of their own."""
from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from hq import periodic, periodic_render
from hq.accepted import AcceptedCases
from hq.cases import Cases
from hq.route_calendar import RouteCalendar
from hq.storage import HqStore


class ReportArchive:
    def __init__(self, store: HqStore, accepted: AcceptedCases, cases: Cases,
                 calendar: Callable[[], RouteCalendar | None], tz: ZoneInfo, office: str = ""):
        self.store = store
        self.accepted = accepted
        self.cases = cases
        self.calendar = calendar
        self.tz = tz
        self.office = office

    def make(self, kind: str, anchor: date, user: str, now: float) -> dict[str, Any]:
        """Compute, render and keep the report of the period containing ``anchor`` (replacing an older make)."""
        rep = periodic.build(self.store, self.accepted, self.cases, self.calendar(), kind, anchor, self.tz, now)
        pdf = periodic_render.pdf_bytes(rep, self.office)
        csv = periodic_render.csv_text(rep)
        rid = f"{kind}-{rep['label']}"
        with self.store.transaction() as c:
            c.execute(self.store.sql("DELETE FROM reports WHERE id = ?"), (rid,))
            c.execute(self.store.sql(
                "INSERT INTO reports(id, kind, label, first_day, last_day, created_at, created_by, figures, csv, pdf) "
                "VALUES (?,?,?,?,?,?,?,?,?,?)"),
                (rid, kind, rep["label"], rep["first"], rep["last"], now, user,
                 json.dumps(rep, ensure_ascii=False), csv, base64.b64encode(pdf).decode()))
        return self._meta(self.store.query("SELECT * FROM reports WHERE id = ?", (rid,))[0])

    def due(self, now: float, user: str = "timer") -> list[dict[str, Any]]:
        """The last complete week and month, each made once (the timer's job; a rerun makes nothing)."""
        today = datetime.fromtimestamp(now, self.tz).date()
        made = []
        for kind in periodic.KINDS:
            anchor = periodic.last_complete(kind, today)
            _, _, label = periodic.period(kind, anchor)
            if not self.store.query("SELECT 1 FROM reports WHERE id = ?", (f"{kind}-{label}",)):
                made.append(self.make(kind, anchor, user, now))
        return made

    def listing(self) -> list[dict[str, Any]]:
        rows = self.store.query("SELECT id, kind, label, first_day, last_day, created_at, created_by FROM reports "
                                "ORDER BY first_day DESC, kind")
        return [self._meta(r) for r in rows]

    def file(self, rid: str, fmt: str) -> bytes | None:
        rows = self.store.query(f"SELECT {'pdf' if fmt == 'pdf' else 'csv'} AS body FROM reports WHERE id = ?", (rid,))
        if not rows:
            return None
        return base64.b64decode(rows[0]["body"]) if fmt == "pdf" else rows[0]["body"].encode("utf-8")

    def figures(self, rid: str) -> dict[str, Any] | None:
        rows = self.store.query("SELECT figures FROM reports WHERE id = ?", (rid,))
        return json.loads(rows[0]["figures"]) if rows else None

    @staticmethod
    def _meta(r: Any) -> dict[str, Any]:
        return {"id": r["id"], "kind": r["kind"], "label": r["label"], "first": r["first_day"], "last": r["last_day"],
                "created_at": r["created_at"], "created_by": r["created_by"],
                "pdf": f"/api/v1/reports/{r['id']}.pdf", "csv": f"/api/v1/reports/{r['id']}.csv"}
