"""What must hold at the end of the service day, each check reading the bus database, the virtual
printer or headquarters' HTTP API directly (never the kiosk driver's own bookkeeping)."""
from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from typing import Any
from urllib.parse import urlparse

from drivers.gps.geo import distance_m
from drivers.ticket_printer.virtual.decoder import DecodedTicket
from hq.api import SECRET_FIELDS
from ztc.db import Database

FINAL = {"ticket.served": "served", "ticket.no_show": "no_show", "ticket.cancelled": "cancelled",
         "ticket.transferred": "transferred", "ticket.released": "released", "ticket.rebooked": "rebooked"}
COPY_MARK = "副本"


def assert_hq_holds_exactly(created: list[dict[str, Any]], at_hq: list[dict[str, Any]], epoch: str) -> None:
    """Count, content and order equal (but for the rating secret, which HQ keeps and never shows); no
    duplicates; all of this database's epoch."""
    ids = [e["id"] for e in at_hq]
    assert len(set(ids)) == len(ids), "headquarters holds duplicate events"
    assert {e["epoch"] for e in at_hq} == {epoch}
    assert len(at_hq) == len(created), f"bus created {len(created)} events, headquarters holds {len(at_hq)}"
    keys = ("seq", "id", "type", "ts", "data")
    for made, held in zip(created, at_hq, strict=True):
        assert not SECRET_FIELDS & held["data"].keys(), "headquarters' read API shows a ticket's rating secret"
        made = made | {"data": {k: v for k, v in made["data"].items() if k not in SECRET_FIELDS}}
        differs = {k: (made[k], held[k]) for k in keys if held[k] != made[k]}
        assert not differs, f"event seq {made['seq']} ({made['type']}) differs at headquarters: {differs}"


def assert_one_final_state(db: Database, at_hq: list[dict[str, Any]]) -> dict[str, int]:
    """Every ticket issued ended exactly once, and headquarters saw the same end as the bus."""
    issued = [e["data"]["ticket_id"] for e in at_hq if e["type"] == "ticket.issued"]
    assert len(set(issued)) == len(issued)
    ends: dict[str, list[str]] = defaultdict(list)
    for e in at_hq:
        if e["type"] in FINAL:
            ends[e["data"]["ticket_id"]].append(FINAL[e["type"]])
    with db.read() as conn:
        states = dict(conn.execute("SELECT id, state FROM tickets").fetchall())
    assert set(states) == set(issued), "tickets in the bus database and tickets issued at headquarters differ"
    for ticket_id in issued:
        assert len(ends[ticket_id]) == 1, f"ticket {ticket_id} ended {ends[ticket_id]}"
        assert states[ticket_id] == ends[ticket_id][0]
    return dict(Counter(states.values()))


def _ticket_id(printed: DecodedTicket) -> str:
    urls = printed.qr_payloads()
    assert len(urls) == 1, f"a ticket carries one QR code, got {urls}"
    return urlparse(urls[0]).path.rsplit("/", 1)[-1]


def assert_prints_match(db: Database, printed: list[DecodedTicket], kiosk_crashes: int) -> dict[str, int]:
    """Every issued ticket came out of the printer; at most one original each, every other print
    marked as a copy; the database counts each print it was told about. A kiosk killed between the
    printer finishing and the count being written leaves one print the database never heard of (the
    restarted kiosk reprints that ticket as a copy): at most one such ticket per crash."""
    by_ticket: dict[str, list[bool]] = defaultdict(list)
    for p in printed:
        by_ticket[_ticket_id(p)].append(COPY_MARK in p.text())
    with db.read() as conn:
        counted = dict(conn.execute("SELECT id, printed FROM tickets").fetchall())
    assert set(by_ticket) <= set(counted), "the printer printed a ticket the bus never issued"
    missing = sorted(set(counted) - set(by_ticket))
    assert not missing, f"{len(missing)} issued tickets never printed"
    unheard = 0
    for ticket_id, copies in by_ticket.items():
        assert copies.count(False) <= 1, f"ticket {ticket_id} printed twice as an original"
        assert copies[1:] == [True] * (len(copies) - 1), f"ticket {ticket_id}: a reprint not marked as a copy"
        if len(copies) != counted[ticket_id]:
            assert len(copies) == counted[ticket_id] + 1, f"ticket {ticket_id}: {copies} vs {counted[ticket_id]}"
            unheard += 1
    assert unheard <= kiosk_crashes
    return {"prints": len(printed), "copies": sum(c for cs in by_ticket.values() for c in cs),
            "reprinted_tickets": sum(1 for cs in by_ticket.values() if True in cs)}


# --- the day's figures ------------------------------------------------------------------------------

def _figures(tickets: list[tuple[str, str]], records: list[tuple[float, float]], levels: list[int]) -> dict:
    states = Counter(s for _, s in tickets)
    waits = [w for w, _ in records]
    services = [s for _, s in records]
    return {
        "tickets": len(tickets), "served": len(records), "no_shows": states["no_show"],
        "cancelled": states["cancelled"],
        "wait_median_s": round(statistics.median(waits), 1) if waits else None,
        "service_median_s": round(statistics.median(services), 1) if services else None,
        "ratings": {"count": len(levels), "by_level": {str(n): levels.count(n) for n in range(1, 6)},
                    "bad": sum(1 for v in levels if v <= 2)},
    }


def bus_figures(db: Database, day: str) -> dict[str, Any]:
    """The day's figures computed from the bus's own tables (not from its events)."""
    with db.read() as conn:
        tickets = conn.execute("SELECT t.id, t.prefix, v.stop_id, t.state FROM tickets t JOIN visits v "
                               "ON v.id = t.visit_id WHERE t.service_day = ?", (day,)).fetchall()
        records = dict((r[0], (round(r[1], 1), round(r[2], 1))) for r in conn.execute(
            "SELECT ticket_id, wait_s, service_s FROM records"))
        levels = dict(conn.execute("SELECT ticket_id, level FROM ratings").fetchall())
    groups: dict[tuple[str, str], list] = defaultdict(list)
    for t in tickets:
        for key in (("all", "all"), ("service", t[1]), ("stop", t[2])):
            groups[key].append(t)
    return {key: _figures([(t[0], t[3]) for t in rows], [records[t[0]] for t in rows if t[0] in records],
                          [levels[t[0]] for t in rows if t[0] in levels]) for key, rows in groups.items()}


def _comparable(f: dict[str, Any]) -> dict[str, Any]:
    return {"tickets": f["tickets"], "served": f["served"], "no_shows": f["no_shows"], "cancelled": f["cancelled"],
            "wait_median_s": f["wait_median_s"], "service_median_s": f["service_median_s"],
            "ratings": {k: f["ratings"][k] for k in ("count", "by_level", "bad")}}


def assert_figures_equal(stats: dict[str, Any], bus: str, mine: dict[tuple[str, str], dict]) -> None:
    """/api/v1/stats for the bus equals the figures from the bus database: totals, per service, per stop."""
    (at_hq,) = [b for b in stats["buses"] if b["bus"] == bus]
    theirs = {("all", "all"): at_hq["totals"]}
    theirs |= {("service", s["service"]): s for s in at_hq["by_service"]}
    theirs |= {("stop", s["stop"]): s for s in at_hq["by_stop"]}
    assert set(theirs) == set(mine), f"groups differ: {sorted(set(theirs) ^ set(mine))}"
    for key, figures in mine.items():
        got = _comparable(theirs[key])
        for k in ("wait_median_s", "service_median_s"):  # medians of the same rounded values
            if figures[k] is not None and got[k] is not None and abs(figures[k] - got[k]) <= 0.051:
                got[k] = figures[k]
        assert got == figures, f"{key}: headquarters {got} != bus {figures}"


# --- the track --------------------------------------------------------------------------------------

def track_points(geojson: dict[str, Any]) -> list[tuple[float, float, str]]:
    return [(f["geometry"]["coordinates"][1], f["geometry"]["coordinates"][0], f["properties"]["source"])
            for f in geojson["features"] if f["geometry"]["type"] == "Point"]


def farthest_gap_m(route: list[tuple[float, float]], points: list[tuple[float, float, str]]) -> float:
    """How far the worst point of the driven route is from the nearest position headquarters holds."""
    return max(min(distance_m(lat, lon, p[0], p[1]) for p in points) for lat, lon in route)


def nearest_m(lat: float, lon: float, points: list[tuple[float, float, str]]) -> float:
    return min(distance_m(lat, lon, p[0], p[1]) for p in points)
