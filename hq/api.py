"""The headquarters HTTP API (PROTOCOL.md) and the app that joins every headquarters route.

Read routes only read the store; the ingest is the only writer of bus data. Sync endpoints run in
FastAPI's thread pool, and the store serialises access to its connection. The OpenAPI description
is published at ``/openapi.json`` (and ``/docs``).
"""
from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Query, Response
from fastapi.responses import JSONResponse

from contract import protocol
from contract.limits import depth_of
from hq import (
    accounts_api,
    bookings_api,
    calendar_api,
    cases_api,
    catalog_api,
    errors,
    followup_api,
    gtfs,
    headers,
    manage,
    pages,
)
from hq.context import HqContext
from hq.guard import day_param, reader
from hq.limits import MAX_SEQ
from hq.stats import day_stats
from hq.storage import HqStore
from hq.track import day_track
from ztc.settings import HqSettings

BusId = Annotated[str, Query(pattern=protocol.BUS_ID_PATTERN)]
READABLE_DEPTH = 32  # stored before events were validated by type: deeper data is not sent to a page


# A ticket's rating secret lets its holder rate in the resident's name: it stays in the database for
# the phone page's check (hq/ratings.py) and is never shown, not even to staff or local tools.
SECRET_FIELDS = frozenset({"rate_token"})


def _readable(event: dict[str, Any]) -> dict[str, Any]:
    if depth_of(event["data"]) > READABLE_DEPTH:
        return event | {"data": {"unreadable": f"data nested deeper than {READABLE_DEPTH} levels"}}
    data = event["data"]
    if isinstance(data, dict) and SECRET_FIELDS & data.keys():
        return event | {"data": {k: v for k, v in data.items() if k not in SECRET_FIELDS}}
    return event


def create_app(store: HqStore, settings: HqSettings | None = None, ctx: HqContext | None = None) -> FastAPI:
    """``ctx`` carries the publisher and live hub of a running ``ztc hq``; tests may pass only a store."""
    ctx = ctx or HqContext.build(store, settings or HqSettings())

    @asynccontextmanager
    async def lifespan(app: FastAPI):  # type: ignore[no-untyped-def]
        ctx.hub.attach(asyncio.get_running_loop())
        yield

    app = FastAPI(title="ztc headquarters", version="1", lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="政务服务直通车总部接口 / government-service bus headquarters API")
    headers.install(app, ctx.settings)
    errors.install(app)
    app.state.ctx = ctx
    can_read = [Depends(reader(ctx))]

    @app.get("/api/v1/buses", dependencies=can_read)
    def buses() -> list[dict[str, Any]]:
        """Every bus ever heard from: online, last seen, latest position, queue and health."""
        return store.buses()

    @app.get("/api/v1/events", dependencies=can_read)
    def events(bus: Annotated[str | None, Query(pattern=protocol.BUS_ID_PATTERN)] = None,
               after_seq: Annotated[int, Query(ge=0, le=MAX_SEQ)] = 0,
               limit: Annotated[int, Query(ge=1, le=1000)] = 100,
               epoch: Annotated[str | None, Query(max_length=64)] = None) -> list[dict[str, Any]]:
        """Stored events in order (per bus: epochs as first seen, then seq)."""
        return [_readable(e) for e in store.events(bus=bus, after_seq=after_seq, limit=limit, epoch=epoch)]

    @app.get("/api/v1/ingest", dependencies=can_read)
    def ingest_counters() -> dict[str, int]:
        """Counters of the ingest: events stored, duplicates ignored, invalid messages per topic."""
        return store.counters()

    @app.get("/api/v1/buses/{bus}", dependencies=can_read)
    def bus_detail(bus: str) -> dict[str, Any]:
        for b in store.buses():
            if b["id"] == bus:
                return b
        raise HTTPException(404, f"没有这辆车 / no such bus: {bus}")

    @app.get("/api/v1/buses/{bus}/track", dependencies=can_read)
    def track(bus: str, date: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$")] = None) -> dict[str, Any]:
        """The day's positions as GeoJSON: a LineString, then one Point per position (``source``
        ``live`` or ``track`` = recorded while the link was down and uploaded later)."""
        return day_track(store, bus, day_param(ctx, date), ctx.tz)

    @app.get("/api/v1/stats", dependencies=can_read)
    def stats(date: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$")] = None,
              bus: Annotated[str | None, Query(pattern=protocol.BUS_ID_PATTERN)] = None) -> dict[str, Any]:
        """The day's figures per bus, stop, service and hour: tickets, served, no-shows, waiting
        median and 90th percentile, service time, ratings; and arrivals with their lateness."""
        return day_stats(store, day_param(ctx, date), ctx.tz, bus)

    @app.get("/gtfs-rt/vehicle-positions", response_model=None)
    def vehicle_positions(format: Annotated[str | None, Query(pattern="^(json|pb)$")] = None) -> Response:
        """GTFS-realtime FeedMessage (protobuf); ``?format=json`` for JSON. Public, as GTFS-rt feeds are."""
        feed = gtfs.vehicle_positions(store, ctx.clock())
        if format == "json":
            return JSONResponse(gtfs.as_json(feed))
        return Response(feed.SerializeToString(), media_type="application/x-protobuf")

    manage.add_routes(app, ctx)
    calendar_api.add_routes(app, ctx)
    bookings_api.add_routes(app, ctx)  # after the calendar: it hooks the home visits into its publishing
    accounts_api.add_routes(app, ctx)
    cases_api.add_routes(app, ctx)
    followup_api.add_routes(app, ctx)
    catalog_api.add_routes(app, ctx)
    pages.add_routes(app, ctx)
    return app

