"""The PROTOCOL.md HTTP API beyond buses/events: day track as GeoJSON (live + back-filled), the day's
figures per bus/stop/service/hour, GTFS-realtime in protobuf and JSON, and who may read it."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from google.transit import gtfs_realtime_pb2

from hq.stats import percentile
from tests.hq.conftest import Hq

TZ = ZoneInfo("Asia/Shanghai")
DAY = "2026-05-12"


def at(hhmm: str, day: str = DAY) -> float:
    return datetime.fromisoformat(f"{day}T{hhmm}:00").replace(tzinfo=TZ).timestamp()


def test_track_merges_live_and_backfilled_positions_of_that_day_only(hq: Hq) -> None:
    hq.position("bus-a", at("09:00"), lat=36.10)
    hq.position("bus-a", at("09:30"), lat=36.30)
    hq.position("bus-a", at("23:59", "2026-05-11"), lat=36.0)   # the evening before (local time)
    hq.position("bus-b", at("09:10"), lat=37.0)                 # another bus
    recorded = [{"ts": at("09:10"), "lat": 36.15, "lon": 118.2, "speed": 3, "track": 10, "mode": 3},
                {"ts": at("09:20"), "lat": 36.20, "lon": 118.2, "speed": 3, "track": 10, "mode": 3, "stop": "s1"}]
    hq.events("bus-a", [("track", at("09:20"), {"positions": recorded})])
    c = hq.client("127.0.0.1")
    gj = c.get("/api/v1/buses/bus-a/track", params={"date": DAY}).json()
    assert gj["type"] == "FeatureCollection"
    line, *points = gj["features"]
    assert line["geometry"]["type"] == "LineString"
    assert [lat for _, lat in line["geometry"]["coordinates"]] == [36.10, 36.15, 36.20, 36.30]  # time order
    assert line["properties"].items() >= {"points": 4, "live": 2, "recorded": 2}.items()
    assert [p["properties"]["source"] for p in points] == ["live", "track", "track", "live"]
    assert points[2]["properties"]["stop"] == "s1"
    assert points[0]["geometry"]["coordinates"] == [118.18, 36.10]  # GeoJSON is [lon, lat]
    assert c.get("/api/v1/buses/bus-a/track", params={"date": "2026-13-01"}).status_code == 422


def test_stats_per_bus_stop_service_and_hour(hq: Hq) -> None:
    issued = [("t1", "A", "nanma", "09:05"), ("t2", "A", "nanma", "09:10"), ("t3", "D", "nanma", "10:00"),
              ("t4", "A", "lishan", "14:00"), ("t5", "A", "lishan", "14:20")]
    events = [("stop.arrived", at("09:00"), {"visit_id": "v1", "stop": "nanma", "name": "南麻新村", "late_s": 120,
                                             "planned_arrive": at("08:58")})]
    events += [("ticket.issued", at(t), {"ticket_id": tid, "number": f"{s}00{n}", "service": s, "stop": stop})
               for n, (tid, s, stop, t) in enumerate(issued)]
    served = [("t1", "A", 100, 600), ("t2", "A", 300, 900), ("t3", "D", 500, 300), ("t4", "A", 1000, 1200)]
    events += [("ticket.served", at("15:00"), {"ticket_id": tid, "service": s, "wait_s": w, "service_s": sv,
                                               "crew": "王五", "visit_id": "v1"}) for tid, s, w, sv in served]
    events += [("ticket.no_show", at("15:10"), {"ticket_id": "t5", "service": "A"}),
               ("rating", at("15:20"), {"ticket_id": "t1", "service": "A", "level": 5}),
               ("rating", at("15:21"), {"ticket_id": "t2", "service": "A", "level": 1, "reasons": ["wait_long"]}),
               ("ticket.issued", at("00:10", "2026-05-13"), {"ticket_id": "t9", "service": "A", "stop": "x"})]
    hq.events("bus-a", events)
    hq.events("bus-b", [("ticket.issued", at("11:00"), {"ticket_id": "u1", "service": "B", "stop": "y"})])
    s = hq.client("127.0.0.1").get("/api/v1/stats", params={"date": DAY}).json()
    assert s["fleet"]["tickets"] == 6  # t9 is the next local day
    a = next(b for b in s["buses"] if b["bus"] == "bus-a")
    t = a["totals"]
    assert (t["tickets"], t["served"], t["no_shows"]) == (5, 4, 1)
    assert t["wait_median_s"] == 400.0 and t["wait_p90_s"] == 850.0  # 500 + 0.7 × (1000 − 500)
    assert t["service_median_s"] == 750.0
    assert t["ratings"] == {"count": 2, "by_level": {"1": 1, "2": 0, "3": 0, "4": 0, "5": 1}, "mean": 3.0, "bad": 1}
    stops = {x["stop"]: x for x in a["by_stop"]}
    assert stops["nanma"]["name"] == "南麻新村" and stops["nanma"]["tickets"] == 3 and stops["nanma"]["served"] == 3
    assert stops["lishan"]["tickets"] == 2 and stops["lishan"]["no_shows"] == 1
    services = {x["service"]: x for x in a["by_service"]}
    assert services["A"]["served"] == 3 and services["D"]["wait_median_s"] == 500.0
    assert {h["hour"]: h["tickets"] for h in a["by_hour"]} == {9: 2, 10: 1, 14: 2, 15: 0}
    assert a["arrivals"][0]["late_s"] == 120
    only_b = hq.client("127.0.0.1").get("/api/v1/stats", params={"date": DAY, "bus": "bus-b"}).json()
    assert [b["bus"] for b in only_b["buses"]] == ["bus-b"]


def test_percentile_is_linear_between_ranks() -> None:
    assert percentile(list(range(1, 11)), 0.9) == pytest.approx(9.1)
    assert percentile([7], 0.9) == 7 and percentile([], 0.5) is None


def test_gtfs_realtime_protobuf_and_json(hq: Hq) -> None:
    hq.position("bus-a", 1_700_000_000, lat=36.19, lon=118.18, speed=0.2, stop="nanma", track=45)
    hq.position("bus-b", 1_700_000_100, lat=36.20, lon=118.15, speed=9.0)
    c = hq.client()  # public, as GTFS-rt feeds are
    r = c.get("/gtfs-rt/vehicle-positions")
    assert r.status_code == 200 and r.headers["content-type"] == "application/x-protobuf"
    feed = gtfs_realtime_pb2.FeedMessage()
    feed.ParseFromString(r.content)
    assert feed.header.gtfs_realtime_version == "2.0"
    by_id = {e.id: e.vehicle for e in feed.entity}
    a = by_id["bus-a"]
    assert abs(a.position.latitude - 36.19) < 1e-5 and a.position.bearing == 45
    assert a.stop_id == "nanma" and a.current_status == gtfs_realtime_pb2.VehiclePosition.STOPPED_AT
    assert by_id["bus-b"].current_status == gtfs_realtime_pb2.VehiclePosition.IN_TRANSIT_TO
    assert by_id["bus-b"].timestamp == 1_700_000_100
    j = c.get("/gtfs-rt/vehicle-positions", params={"format": "json"}).json()
    assert {e["id"] for e in j["entity"]} == {"bus-a", "bus-b"}


def test_read_api_needs_login_except_from_open_networks(hq: Hq) -> None:
    hq.position("bus-a", 1_700_000_000)
    outside = hq.client()
    for path in ("/api/v1/buses", "/api/v1/events", "/api/v1/stats", "/api/v1/buses/bus-a/track"):
        assert outside.get(path).status_code == 401, path
        assert hq.client("127.0.0.1").get(path).status_code == 200, path
    c, _ = hq.login()
    assert c.get("/api/v1/buses").json()[0]["id"] == "bus-a"


def test_openapi_lists_the_protocol_routes(hq: Hq) -> None:
    paths = hq.client().get("/openapi.json").json()["paths"]
    for p in ("/api/v1/buses", "/api/v1/buses/{bus}/track", "/api/v1/events", "/api/v1/stats",
              "/gtfs-rt/vehicle-positions", "/api/public/buses"):
        assert p in paths
