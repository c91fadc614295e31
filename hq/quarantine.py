"""Quarantine: inbound messages and events that break the contract, kept raw instead of stored.

Why not just drop them: a bus's event is acknowledged (and then deleted on the bus) once
headquarters holds it, so an event that fails its type's validation must still be held somewhere
durable — here, in the same transaction as the rest of its batch — or it would be lost. Why not
store it with the rest: every page reads the events table, and one event whose ``reasons`` is a
number or whose ``data`` is nested a few hundred levels deep used to break those pages for the
whole fleet. So the events table holds only valid events, and staff see what was held here
(``/api/v1/quarantine``, the dashboard's panel), counted and with the reason.

Bounded: at most ``MAX_PER_TOPIC`` rows per bus and topic, ``MAX_PER_BUS`` per bus (topics that are
not a bus's count under bus ``""``) and ``MAX_ROWS`` in all, oldest first, counted as pruned; raw
payloads are kept up to ``MAX_RAW`` bytes. So a bus sending garbage every second cannot fill the
disk, nor push out much of what another bus sent. Resends are not held twice (an event by its
(epoch, seq), a message by its hash).
"""
from __future__ import annotations

import hashlib
import json
from typing import Any

from hq.storage import HqStore

MAX_PER_TOPIC = 500
MAX_PER_BUS = 3000
MAX_ROWS = 20_000
MAX_RAW = 64_000



def _bump(store: HqStore, c: Any, name: str, by: int = 1) -> None:
    store.bump(c, name, by)


def _insert(store: HqStore, c: Any, bus: str, key: str, topic: str, raw: bytes, reason: str, now: float,
            epoch: str | None = None, seq: int | None = None, event_id: str | None = None,
            type_: str | None = None) -> bool:
    cur = c.execute(store.sql(
        "INSERT INTO quarantine(bus, key, topic, epoch, seq, event_id, type, reason, raw, raw_bytes, received_at) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING"),
        (bus, key, topic[:200], epoch, seq, event_id, type_, reason[:500], raw[:MAX_RAW], len(raw), now))
    if cur.rowcount != 1:
        return False
    _bump(store, c, "quarantine.held")
    for where, args, cap in (("bus = ? AND topic = ?", (bus, topic[:200]), MAX_PER_TOPIC),
                             ("bus = ?", (bus,), MAX_PER_BUS), ("1 = 1", (), MAX_ROWS)):
        over = c.execute(store.sql(f"SELECT COUNT(*) FROM quarantine WHERE {where}"), args).fetchone()[0] - cap
        if over > 0:
            c.execute(store.sql(f"DELETE FROM quarantine WHERE (bus, key) IN (SELECT bus, key FROM quarantine "
                                f"WHERE {where} ORDER BY received_at LIMIT ?)"), (*args, over))
            _bump(store, c, "quarantine.pruned", over)
    return True


def hold_event(store: HqStore, c: Any, bus: str, topic: str, epoch: str, event: dict[str, Any], reason: str,
               now: float) -> bool:
    """Inside the batch's transaction (``c``): keep one invalid event raw. True when newly held.
    A held ``rating.callback`` keeps its number masked: the number belongs only in ``hq.contacts``."""
    data = event.get("data")
    if event.get("type") == "rating.callback" and isinstance(data, dict) and isinstance(data.get("phone"), str):
        from hq.contacts import mask
        event = {**event, "data": {**data, "phone": mask(data["phone"])}}
    raw = json.dumps(event, ensure_ascii=False, separators=(",", ":"), default=str).encode()
    return _insert(store, c, bus, f"event:{epoch}:{event.get('seq')}", topic, raw, reason, now, epoch=epoch,
                   seq=event.get("seq"), event_id=str(event.get("id"))[:64], type_=str(event.get("type"))[:40])


def hold_message(store: HqStore, bus: str, topic: str, raw: bytes, reason: str, now: float) -> bool:
    """Keep a whole invalid message raw (its own transaction). True when newly held."""
    key = "message:" + hashlib.sha256(topic.encode("utf-8", "replace") + b"\0" + bytes(raw)).hexdigest()
    with store.transaction() as c:
        return _insert(store, c, bus, key, topic, bytes(raw), reason, now)


def summary(store: HqStore, limit: int = 50) -> dict[str, Any]:
    """What the dashboard shows: how many are held (per bus and topic), and the newest ones."""
    by = store.query("SELECT bus, topic, COUNT(*) AS n FROM quarantine GROUP BY bus, topic ORDER BY bus, topic")
    rows = store.query("SELECT bus, topic, epoch, seq, event_id, type, reason, raw, raw_bytes, received_at "
                       "FROM quarantine ORDER BY received_at DESC LIMIT ?", (limit,))
    counters = store.counters()
    return {"held": sum(int(r["n"]) for r in by),
            "received": counters.get("quarantine.held", 0), "pruned": counters.get("quarantine.pruned", 0),
            "by_topic": [{"bus": r["bus"], "topic": r["topic"], "count": int(r["n"])} for r in by],
            "items": [{"bus": r["bus"], "topic": r["topic"], "epoch": r["epoch"], "seq": r["seq"],
                       "event_id": r["event_id"], "type": r["type"], "reason": r["reason"],
                       "raw_bytes": r["raw_bytes"], "received_at": r["received_at"],
                       "preview": bytes(r["raw"][:300]).decode("utf-8", "replace")} for r in rows]}
