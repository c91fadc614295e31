"""好差评 at headquarters: one rating per ticket, with its later additions (补充评价) beside it.

A ticket is rated on the kiosk (a ``rating`` event from the bus) or later from the resident's phone
through the ticket's QR page, which carries the ticket's secret (``rate_token`` of its
``ticket.issued`` event). Nothing is ever replaced: every entry is kept, and the *first made*
(by when it was made: the bus's time for the kiosk, arrival for the phone) is the rating; the
others are additions. So when a bus was offline and its kiosk rating arrives after the resident's
phone rating, the kiosk rating (made earlier, on the spot) becomes the rating and the phone entry
its addition: the same order a reader of the two entries would give them.

The phone may rate, or add, within the period Shandong's rules allow (鲁政办发〔2020〕10号:
补充评价 within 5 working days counted from the day of the service), by the county's calendar.
"""

from __future__ import annotations

import hmac
import json
import uuid
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hq.storage import HqStore
from ztc.domain.vocabulary import RATING_LEVELS, RATING_REASON_TEXT, RATING_REASONS, REASONS_REQUIRED_AT_OR_BELOW
from ztc.workdays import WorkCalendar

LATER_WORKING_DAYS = 5  # the day of service counts as the first when it is a working day
MAX_TEXT = 500



class RatingError(ValueError):
    """Refused; ``status`` is the HTTP status, the text is shown to the resident (Chinese / English)."""

    def __init__(self, status: int, text: str):
        super().__init__(text)
        self.status = status


def last_day(service_day: date, cal: WorkCalendar) -> date:
    """The last day a later rating is accepted: the 5th working day counting the day of service."""
    first = service_day if cal.is_working_day(service_day) else cal.add_working_days(service_day, 1)
    return cal.add_working_days(first, LATER_WORKING_DAYS - 1)


class Ratings:
    def __init__(self, store: HqStore, calendar: Any, tz: ZoneInfo):
        self.store, self.calendar, self.tz = store, calendar, tz

    def _issued(self, ticket_id: str) -> tuple[str, dict[str, Any], float] | None:
        rows = self.store.query(
            "SELECT bus, data, ts FROM events WHERE type = 'ticket.issued' "
            f"AND {self.store.json_text('data', 'ticket_id')} = ?",
            (ticket_id,),
        )
        return (rows[0]["bus"], json.loads(rows[0]["data"]), rows[0]["ts"]) if rows else None

    def entries(self, ticket_id: str) -> list[dict[str, Any]]:
        """Every rating entry of the ticket, oldest made first: the first is the rating."""
        out: list[dict[str, Any]] = []
        # A rating stored before events were validated may lack its ticket: its case is keyed by the event id.
        for r in self.store.query(
            "SELECT id, ts, data FROM events WHERE type = 'rating' "
            f"AND ({self.store.json_text('data', 'ticket_id')} = ? OR id = ?)",
            (ticket_id, ticket_id),
        ):
            try:
                d = json.loads(r["data"])
            except (ValueError, RecursionError):
                d = {}
            d = d if isinstance(d, dict) else {}
            level, raw = d.get("level"), d.get("reasons")
            out.append(
                {
                    "id": r["id"],
                    "source": "kiosk",
                    "ts": r["ts"],
                    "level": level if isinstance(level, int) and not isinstance(level, bool) else None,
                    "reasons": [c for c in raw if isinstance(c, str)] if isinstance(raw, list) else [],
                    "text": "",
                }
            )
        for r in self.store.query(
            "SELECT id, ts, level, reasons, text FROM phone_ratings WHERE ticket_id = ?", (ticket_id,)
        ):
            out.append(
                {
                    "id": r["id"],
                    "source": "phone",
                    "ts": r["ts"],
                    "level": r["level"],
                    "reasons": json.loads(r["reasons"]),
                    "text": r["text"],
                }
            )
        out.sort(key=lambda e: (e["level"] is None, e["ts"], e["id"]))  # a rating needs a level
        for n, e in enumerate(out):
            e["role"] = "rating" if n == 0 else "addition"
            e["level_text"] = " / ".join(RATING_LEVELS[e["level"]]) if e["level"] in RATING_LEVELS else None
            e["reason_texts"] = [" / ".join(RATING_REASON_TEXT.get(c, (c, c))) for c in e["reasons"]]
        return out

    def view(self, ticket_id: str, token: str | None, now: float) -> dict[str, Any]:
        """What the phone page shows the holder of the ticket's secret."""
        bus, issued, issued_ts = self._check(ticket_id, token)
        day = datetime.fromtimestamp(float(issued.get("issued_at") or issued_ts), self.tz).date()
        until = last_day(day, self.calendar())
        closes = datetime.combine(until + timedelta(days=1), time(0), self.tz).timestamp()
        entries = self.entries(ticket_id)
        return {
            "ticket_id": ticket_id,
            "service_day": day.isoformat(),
            "last_day": until.isoformat(),
            "open": now < closes,
            "entries": [
                {k: e[k] for k in ("source", "ts", "role", "level", "level_text", "reason_texts", "text")}
                for e in entries
            ],
            "levels": {str(k): " / ".join(v) for k, v in RATING_LEVELS.items()},
            "reasons": {k: " / ".join(v) for k, v in RATING_REASONS.items()},
            "_bus": bus,
        }

    def _check(self, ticket_id: str, token: str | None) -> tuple[str, dict[str, Any], float]:
        found = self._issued(ticket_id)
        if found is None:
            raise RatingError(404, "总部尚未收到此号，请稍后再评 / this ticket has not reached headquarters yet")
        bus, issued, ts = found
        secret = issued.get("rate_token")
        if not isinstance(secret, str) or not token or not hmac.compare_digest(secret.encode(), token.encode()):
            raise RatingError(403, "评价码与这张票不符 / this rating code does not belong to this ticket")
        return bus, issued, ts

    def add(
        self, ticket_id: str, token: str | None, now: float, level: int | None, reasons: list[str], text: str
    ) -> dict[str, Any]:
        """A rating from the phone, or an addition to the ticket's rating; never replaces one."""
        info = self.view(ticket_id, token, now)
        if not info["open"]:
            raise RatingError(
                409, f"评价期已过（截至 {info['last_day']}）/ the rating period ended on {info['last_day']}"
            )
        text = (text or "").strip()
        if len(text) > MAX_TEXT:
            raise RatingError(422, f"文字最多 {MAX_TEXT} 字 / at most {MAX_TEXT} characters")
        if level is not None and level not in RATING_LEVELS:
            raise RatingError(422, "评价等级是 1 到 5 / the level is 1 to 5")
        unknown = [r for r in reasons if r not in RATING_REASONS]
        if unknown:
            raise RatingError(422, f"无效的原因 / unknown reasons: {unknown}")
        has_rating = bool(info["entries"])
        if not has_rating and level is None:
            raise RatingError(422, "请先选择满意程度 / choose a level first")
        if level is None and not text:
            raise RatingError(422, "补充评价需要文字或等级 / an addition needs a level or text")
        if level is not None and level <= REASONS_REQUIRED_AT_OR_BELOW and not reasons and not text:
            raise RatingError(422, "请选择或写下不满意的原因 / choose or write what went wrong")
        entry_id = str(uuid.uuid4())
        with self.store.transaction() as c:
            c.execute(
                self.store.sql(
                    "INSERT INTO phone_ratings(id, ticket_id, bus, ts, level, reasons, text) VALUES (?,?,?,?,?,?,?)"
                ),
                (entry_id, ticket_id, info["_bus"], now, level, json.dumps(sorted(set(reasons))), text),
            )
        return {k: v for k, v in self.view(ticket_id, token, now).items() if k != "_bus"}

    def summary(self, start: float, end: float) -> dict[str, Any]:
        """好评率 and 差评数 over the ratings (first entries) made in [start, end)."""
        tickets = {
            r["t"]
            for r in self.store.query(
                f"SELECT {self.store.json_text('data', 'ticket_id')} AS t FROM events WHERE type = 'rating' "
                "AND ts >= ? AND ts < ?",
                (start, end),
            )
        }
        tickets |= {
            r["ticket_id"]
            for r in self.store.query(
                "SELECT ticket_id FROM phone_ratings WHERE level IS NOT NULL AND ts >= ? AND ts < ?", (start, end)
            )
        }
        levels = []
        for t in tickets:
            first = next(iter(self.entries(t)), None)
            if first and first["level"] in RATING_LEVELS and start <= first["ts"] < end:
                levels.append(first["level"])
        good = sum(1 for v in levels if v >= 3)  # 非常满意, 满意, 基本满意: not 差评 (51号: the last two are)
        return {
            "ratings": len(levels),
            "good": good,
            "bad": len(levels) - good,
            "good_rate": round(good / len(levels), 4) if levels else None,
        }
