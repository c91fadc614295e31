"""What residents may see, built from whitelisted fields only: where each bus is, how many wait per
service, the upcoming stops, and a ticket's progress.

Nothing here copies a stored payload wholesale: each field is picked by name, so a crew name, a
window's staff or an appointment's masked name added to an event later cannot leak by accident.
"""
from __future__ import annotations

import json
import re
from typing import Any

from hq.documents import Documents
from hq.storage import HqStore

TICKET_ID_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
TICKET_STATES = {  # event type → (status, Chinese, English)
    "ticket.issued": ("waiting", "排队等候中", "waiting"),
    "ticket.called": ("called", "已叫号，请到窗口", "called: please go to the window"),
    "ticket.started": ("serving", "正在办理", "being served"),
    "ticket.served": ("served", "已办结", "done"),
    "ticket.no_show": ("no_show", "过号未到", "missed (not present when called)"),
    "ticket.cancelled": ("cancelled", "已取消", "cancelled"),
    "ticket.released": ("released", "车辆已离开，未办理", "the bus left before your turn"),
    "ticket.rebooked": ("rebooked", "已改约", "rebooked"),
    "ticket.transferred": ("transferred", "已转到其他业务", "transferred to another service"),
}
MOVING_MS = 1.5


def public_buses(store: HqStore, documents: Documents, now: float, offline_after_s: float) -> list[dict[str, Any]]:
    out = []
    for b in store.buses():
        p, q = b.get("position") or {}, b.get("queue") or {}
        online = bool(b["online"]) and now - (b["last_seen"] or 0) <= offline_after_s
        schedule = documents.current("schedule", b["id"])
        visits = [{"stop": v["stop"], "name": v["name"], "arrive": v["arrive"], "depart": v["depart"],
                   "services": v["services"], "theme": v.get("theme"), "lat": v["lat"], "lon": v["lon"]}
                  for v in (schedule["document"]["visits"] if schedule else []) if v["depart"] > now]
        out.append({
            "id": b["id"], "online": online,
            "position": {"lat": p["lat"], "lon": p["lon"], "ts": p["ts"], "stop": p.get("stop"),
                         "moving": float(p.get("speed") or 0) > MOVING_MS} if p else None,
            "queue": {"stop": q.get("stop"), "waiting": q.get("waiting"), "by_service": q.get("by_service") or {},
                      "accepting": q.get("accepting"), "ts": q.get("ts")} if q else None,
            "upcoming": sorted(visits, key=lambda v: v["arrive"])[:10],
        })
    return out


def ticket_status(store: HqStore, ticket_id: str) -> dict[str, Any] | None:
    """The ticket's progress as headquarters knows it; None when it has not reached headquarters."""
    if not TICKET_ID_RE.match(ticket_id):
        return None
    rows = store.query("SELECT bus, type, ts, data, received_at FROM events "
                       f"WHERE {store.json_text('data', 'ticket_id')} = ? ORDER BY ts, seq", (ticket_id,))
    issued = sorted((r for r in rows if r["type"] == "ticket.issued"), key=lambda r: r["received_at"])
    if not rows:
        return None
    # The ticket belongs to the bus that issued it (the first issue headquarters received): another
    # bus sending events with this ticket's id (a copied QR code) cannot change what the page shows.
    bus = issued[0]["bus"] if issued else rows[0]["bus"]
    rows = [r for r in rows if r["bus"] == bus]
    info: dict[str, Any] = {"ticket_id": ticket_id, "bus": bus, "history": []}
    for r in rows:
        d = json.loads(r["data"])
        d = d if isinstance(d, dict) else {}
        if r["type"] == "ticket.issued":
            info |= {"number": d.get("number"), "service": d.get("service"), "stop": d.get("stop"),
                     "issued_at": d.get("issued_at") or r["ts"]}
        if r["type"] in ("ticket.called",):
            info["window"] = d.get("window")
        if r["type"] in TICKET_STATES:
            status, zh, en = TICKET_STATES[r["type"]]
            info |= {"status": status, "status_text": f"{zh} / {en}"}
            if r["type"] == "ticket.transferred":
                info["new_number"] = d.get("new_number")
            info["history"].append({"ts": r["ts"], "status": status, "text": f"{zh} / {en}"})
        info.setdefault("number", d.get("number"))
    if info.get("status") == "waiting":
        q = next((b.get("queue") for b in store.buses() if b["id"] == bus), None) or {}
        info["waiting_in_service"] = (q.get("by_service") or {}).get(info.get("service"))
    return info
