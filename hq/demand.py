"""Suggestions and unmet demand (意见建议, 动态调整): what residents asked for and could not get.

Counted from the stored events themselves (``request.refused`` and ``suggestion`` from the buses)
plus the free-text suggestions residents type on the ticket's page (kept here, staff only). The
demand table — per stop and service, how many were turned away and why — is what the service list
and the route calendar are adjusted by.
"""
from __future__ import annotations

import json
from collections import Counter, defaultdict
from typing import Any

from hq.storage import HqStore
from ztc.domain.demand import REASONS
from ztc.domain.vocabulary import SUGGESTION_TOPICS

MAX_TEXT = 500
PER_TICKET = 3  # a ticket's holder may write a few times, not flood the table


class SuggestionError(ValueError):
    """A refused suggestion from the phone; the text is shown on the page (Chinese / English)."""


def _range(start: float, end: float, bus: str | None) -> tuple[str, list[Any]]:
    where, args = "ts >= ? AND ts < ?", [start, end]
    if bus is not None:
        where += " AND bus = ?"
        args.append(bus)
    return where, args


def stop_of_visits(store: HqStore) -> dict[tuple[str, str], tuple[str, str]]:
    """(bus, visit id) → (stop id, stop name), from the arrivals."""
    rows = store.query("SELECT bus, data FROM events WHERE type = 'stop.arrived'")
    out = {}
    for r in rows:
        d = json.loads(r["data"])
        stop = str(d.get("stop") or "-")
        out[(r["bus"], str(d.get("visit_id")))] = (stop, str(d.get("name") or stop))
    return out


def demand(store: HqStore, start: float, end: float, bus: str | None = None) -> dict[str, Any]:
    """Refused requests per (stop, service) with their reasons, and suggestion topics per stop."""
    where, args = _range(start, end, bus)
    visits = stop_of_visits(store)
    table: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    names: dict[str, str] = {}
    by_reason: Counter[str] = Counter()
    for r in store.query(f"SELECT bus, data FROM events WHERE type = 'request.refused' AND {where}", tuple(args)):
        d = json.loads(r["data"])
        stop, name = visits.get((r["bus"], str(d.get("visit_id"))), (str(d.get("stop") or "-"), ""))
        names[stop] = str(d.get("stop_name") or name or stop)
        reason = str(d.get("reason") or "?")
        table[(stop, str(d.get("service") or "-"))][reason] += 1
        by_reason[reason] += 1
    topics: Counter[str] = Counter()
    topics_by_stop: dict[str, Counter[str]] = defaultdict(Counter)
    count = 0
    for r in store.query(f"SELECT bus, data FROM events WHERE type = 'suggestion' AND {where}", tuple(args)):
        d = json.loads(r["data"])
        count += 1
        stop, name = visits.get((r["bus"], str(d.get("visit_id"))), ("-", "-"))
        names.setdefault(stop, name)
        for t in d.get("topics") or []:
            if isinstance(t, str):
                topics[t] += 1
                topics_by_stop[stop][t] += 1
    phone = store.query(f"SELECT COUNT(*) AS n FROM phone_suggestions WHERE {where}", tuple(args))[0]["n"]
    rows = [{"stop": stop, "name": names.get(stop, stop), "service": service, "total": sum(c.values()),
             "by_reason": dict(sorted(c.items()))}
            for (stop, service), c in sorted(table.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))]
    return {
        "refused": rows, "refused_total": sum(by_reason.values()), "refused_by_reason": dict(sorted(by_reason.items())),
        "reasons": {k: f"{zh} / {en}" for k, (zh, en) in REASONS.items()},
        "suggestions": {"kiosk": count, "phone": phone,
                        "topics": [{"topic": t, "text": " / ".join(SUGGESTION_TOPICS.get(t, (t, t))), "count": n}
                                   for t, n in topics.most_common()],
                        "by_stop": [{"stop": s, "name": names.get(s, s), "topics": dict(c.most_common())}
                                    for s, c in sorted(topics_by_stop.items())]},
    }


def phone_suggestions(store: HqStore, start: float, end: float, bus: str | None = None) -> list[dict[str, Any]]:
    where, args = _range(start, end, bus)
    rows = store.query(f"SELECT * FROM phone_suggestions WHERE {where} ORDER BY ts DESC LIMIT 500", tuple(args))
    return [dict(r) for r in rows]


def add_phone_suggestion(store: HqStore, ticket_id: str, text: str, now: float) -> dict[str, Any]:
    """A resident's free text from the ticket's page, tied to a ticket headquarters has received."""
    import uuid

    text = " ".join((text or "").split())
    if not text:
        raise SuggestionError("请写下您的意见或建议 / please write your suggestion")
    if len(text) > MAX_TEXT:
        raise SuggestionError(f"最多 {MAX_TEXT} 字 / at most {MAX_TEXT} characters")
    issued = store.query("SELECT bus, data FROM events WHERE type = 'ticket.issued' "
                         f"AND {store.json_text('data', 'ticket_id')} = ? LIMIT 1", (ticket_id,))
    if not issued:
        raise SuggestionError("总部尚未收到此号 / this ticket has not reached headquarters yet")
    earlier = store.query("SELECT COUNT(*) AS n FROM phone_suggestions WHERE ticket_id = ?", (ticket_id,))[0]["n"]
    if earlier >= PER_TICKET:
        raise SuggestionError(f"每张号最多提交 {PER_TICKET} 条 / at most {PER_TICKET} suggestions per ticket")
    d = json.loads(issued[0]["data"])
    sid = str(uuid.uuid4())
    with store.transaction() as c:
        c.execute(store.sql("INSERT INTO phone_suggestions(id, ticket_id, bus, stop, service, text, ts) "
                            "VALUES (?,?,?,?,?,?,?)"),
                  (sid, ticket_id, issued[0]["bus"], d.get("stop"), d.get("service"), text, now))
    return {"id": sid, "ok": True}
