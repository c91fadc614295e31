"""GTFS-realtime vehicle positions: the fleet in the format transit apps and map tools already read.

Built with Google's ``gtfs-realtime-bindings`` (the reference protobuf), so the bytes are exactly
what any GTFS-rt consumer parses. A bus parked inside a stop's radius is ``STOPPED_AT`` that stop.
"""
from __future__ import annotations

from typing import Any

from google.protobuf import json_format
from google.transit import gtfs_realtime_pb2

from hq.storage import HqStore


def vehicle_positions(store: HqStore, now: float) -> gtfs_realtime_pb2.FeedMessage:
    feed = gtfs_realtime_pb2.FeedMessage()
    feed.header.gtfs_realtime_version = "2.0"
    feed.header.incrementality = gtfs_realtime_pb2.FeedHeader.FULL_DATASET
    feed.header.timestamp = int(now)
    for bus in store.buses():
        p: dict[str, Any] | None = bus["position"]
        if not p:
            continue
        entity = feed.entity.add()
        entity.id = bus["id"]
        v = entity.vehicle
        v.vehicle.id = bus["id"]
        v.vehicle.label = bus["id"]
        v.position.latitude = float(p["lat"])
        v.position.longitude = float(p["lon"])
        if p.get("track") is not None:   # unknown heading: no bearing (0 would mean due north)
            v.position.bearing = float(p["track"])
        v.position.speed = float(p.get("speed") or 0)
        v.timestamp = int(p["ts"])
        if p.get("stop"):
            v.stop_id = str(p["stop"])
            v.current_status = gtfs_realtime_pb2.VehiclePosition.STOPPED_AT
        else:
            v.current_status = gtfs_realtime_pb2.VehiclePosition.IN_TRANSIT_TO
    return feed


def as_json(feed: gtfs_realtime_pb2.FeedMessage) -> dict[str, Any]:
    return json_format.MessageToDict(feed, preserving_proto_field_name=True)
