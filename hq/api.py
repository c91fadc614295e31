"""The headquarters HTTP API (PROTOCOL.md): what the dashboard and third parties read.

Read-only over the store; the ingest is the only writer. Sync endpoints run in FastAPI's thread
pool, and the store serialises access to its connection.
"""
from __future__ import annotations

from typing import Annotated, Any

from fastapi import FastAPI, HTTPException, Query

from hq.storage import HqStore
from telemetry import protocol


def create_app(store: HqStore) -> FastAPI:
    app = FastAPI(title="ztc headquarters", version="1",
                  description="政务服务直通车总部接口 / government-service bus headquarters API")

    @app.get("/api/v1/buses")
    def buses() -> list[dict[str, Any]]:
        """Every bus ever heard from: online, last seen, latest position, queue and health."""
        return store.buses()

    @app.get("/api/v1/events")
    def events(bus: Annotated[str | None, Query(pattern=protocol.BUS_ID_PATTERN)] = None,
               after_seq: Annotated[int, Query(ge=0)] = 0,
               limit: Annotated[int, Query(ge=1, le=1000)] = 100,
               epoch: Annotated[str | None, Query(max_length=64)] = None) -> list[dict[str, Any]]:
        """Stored events in order (per bus: epochs as first seen, then seq)."""
        return store.events(bus=bus, after_seq=after_seq, limit=limit, epoch=epoch)

    @app.get("/api/v1/ingest")
    def ingest_counters() -> dict[str, int]:
        """Counters of the ingest: events stored, duplicates ignored, invalid messages per topic."""
        return store.counters()

    @app.get("/api/v1/buses/{bus}")
    def bus_detail(bus: str) -> dict[str, Any]:
        for b in store.buses():
            if b["id"] == bus:
                return b
        raise HTTPException(404, f"没有这辆车 / no such bus: {bus}")

    return app
