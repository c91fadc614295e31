"""Bad-rating follow-up (差评整改): every rating of level 1 or 2 becomes a case to be closed.

Cases are derived from the stored ``rating`` events (``sync``), keyed by the event id, so a rating
can never be missed or become two cases, however often the bus resends it. A case gets an assignee
and a deadline (``hq.followup_days`` after the rating by default) and is closed only with a written
resolution. The case keeps the crew member for internal follow-up; it is never shown publicly.
"""
from __future__ import annotations

import json
from typing import Any

from hq.storage import HqStore
from ztc.domain.vocabulary import RATING_LEVELS, RATING_REASONS

BAD_AT_OR_BELOW = 2



class CaseError(ValueError):
    """A refused case change; the text is shown to the staff member (Chinese / English)."""


class Cases:
    def __init__(self, store: HqStore, followup_days: float = 3):
        self.store = store
        self.followup_s = followup_days * 86400

    def sync(self) -> int:
        """Open a case for every bad rating not yet a case; returns how many were opened."""
        with self.store.transaction() as c:
            level = self.store.json_int("e.data", "level")
            cur = c.execute(self.store.sql(
                "INSERT INTO cases(event_id, bus, ts, level, data, deadline) "
                f"SELECT e.id, e.bus, e.ts, {level}, e.data, e.ts + ? "
                f"FROM events e WHERE e.type = 'rating' AND {level} "
                "BETWEEN 1 AND ? ON CONFLICT DO NOTHING"), (self.followup_s, BAD_AT_OR_BELOW))
            return max(cur.rowcount, 0)

    def listing(self, status: str | None = None, bus: str | None = None) -> list[dict[str, Any]]:
        self.sync()
        where, args = [], []
        if status:
            where.append("status = ?")
            args.append(status)
        if bus:
            where.append("bus = ?")
            args.append(bus)
        rows = self.store.query("SELECT * FROM cases" + (" WHERE " + " AND ".join(where) if where else "")
                                + " ORDER BY status DESC, deadline", tuple(args))
        return [self._row(r) for r in rows]

    @staticmethod
    def _row(r: Any) -> dict[str, Any]:
        """Reads the stored rating defensively: ingest validates events by type (contract.events), but
        a database from before that may still hold a ``reasons`` that is a number."""
        try:
            data = json.loads(r["data"])
        except (ValueError, RecursionError):
            data = {}
        data = data if isinstance(data, dict) else {}
        raw_reasons = data.get("reasons")
        reasons = [c for c in raw_reasons if isinstance(c, str)] if isinstance(raw_reasons, list) else []
        data = {k: (v if isinstance(v, str | int | float) and not isinstance(v, bool) else None)
                for k, v in data.items() if k in ("number", "service", "window", "crew")}
        return {"id": r["event_id"], "bus": r["bus"], "ts": r["ts"], "level": r["level"],
                "level_text": " / ".join(RATING_LEVELS.get(r["level"], ("?", "?"))),
                "reasons": [{"code": c, "text": " / ".join(RATING_REASONS.get(c, (c, c)))} for c in reasons],
                "number": data.get("number"), "service": data.get("service"), "window": data.get("window"),
                "crew": data.get("crew"), "status": r["status"], "assignee": r["assignee"],
                "deadline": r["deadline"], "resolution": r["resolution"], "updated_at": r["updated_at"],
                "updated_by": r["updated_by"]}

    def update(self, case_id: str, user: str, now: float, assignee: str | None = None,
               deadline: float | None = None, resolution: str | None = None, close: bool = False) -> dict[str, Any]:
        self.sync()
        rows = self.store.query("SELECT * FROM cases WHERE event_id = ?", (case_id,))
        if not rows:
            raise CaseError(f"没有这个整改单 / no such case: {case_id}")
        r = rows[0]
        new_resolution = resolution if resolution is not None else r["resolution"]
        if close and not (new_resolution or "").strip():
            raise CaseError("结案需要填写整改结果 / closing a case needs a written resolution")
        if deadline is not None and deadline <= 0:
            raise CaseError("期限无效 / invalid deadline")
        with self.store.transaction() as c:
            c.execute(self.store.sql(
                "UPDATE cases SET assignee = ?, deadline = ?, resolution = ?, status = ?, updated_at = ?, "
                "updated_by = ? WHERE event_id = ?"),
                (assignee if assignee is not None else r["assignee"],
                 deadline if deadline is not None else r["deadline"],
                 new_resolution, "resolved" if close else r["status"], now, user, case_id))
        return self._row(self.store.query("SELECT * FROM cases WHERE event_id = ?", (case_id,))[0])
