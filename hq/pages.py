"""The web pages: the staff dashboard (log-in required), the public page and the ticket page, the
live WebSocket, and the files they load (our static files and Leaflet from node_modules).

Pages are static HTML + JavaScript reading the JSON routes; the server never pastes data into
HTML, so nothing a bus sends can inject script (the pages use ``textContent``). The public routes
return only what ``hq.public`` whitelists.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import FileResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from hq.context import HqContext
from hq.guard import session_of
from hq.public import public_buses, ticket_status

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
# Leaflet from `make setup` (npm, pinned in package.json); an installed copy (/opt/ztc/app holds only
# tracked files) can use Debian's libjs-leaflet instead.
LEAFLET_DIRS = (Path(__file__).resolve().parents[1] / "node_modules" / "leaflet" / "dist",
                Path("/usr/share/javascript/leaflet"))
LEAFLET = next((d for d in LEAFLET_DIRS if (d / "leaflet.js").is_file()), LEAFLET_DIRS[0])
NO_STORE = {"Cache-Control": "no-store"}


def add_routes(app: FastAPI, ctx: HqContext) -> None:
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    if LEAFLET.is_dir():
        app.mount("/vendor/leaflet", StaticFiles(directory=LEAFLET), name="leaflet")
    else:
        log.warning("Leaflet 未安装 / Leaflet is not installed (%s): run `make setup` (or apt-get install "
                    "libjs-leaflet); the map cannot draw", LEAFLET)

        @app.get("/vendor/leaflet/{path:path}")
        def no_leaflet(path: str) -> Response:
            return Response("// 地图库未安装 / Leaflet not installed: run make setup\n", 503,
                            media_type="text/javascript")

    @app.get("/", include_in_schema=False, response_model=None)
    def dashboard(request: Request) -> Response:
        if session_of(ctx, request) is None:
            return RedirectResponse("/login", 303)
        return FileResponse(STATIC / "dashboard.html", headers=NO_STORE)

    @app.get("/login", include_in_schema=False)
    def login_page() -> FileResponse:
        return FileResponse(STATIC / "login.html")

    @app.get("/public", include_in_schema=False)
    def public_page() -> FileResponse:
        return FileResponse(STATIC / "public.html")

    @app.get("/t/{ticket_id}", include_in_schema=False)
    def ticket_page(ticket_id: str) -> FileResponse:
        return FileResponse(STATIC / "ticket.html")

    @app.get("/api/v1/map-config")
    def map_config() -> dict[str, Any]:
        """Tile template and coordinate system for the pages (the key is a browser key, meant to be public)."""
        m = ctx.settings.map
        attribution = f"{m.attribution} · 审图号 {m.approval_number}" if m.approval_number else m.attribution
        return {"tile_url": m.tile_url.replace("{key}", m.tile_key), "subdomains": m.subdomains,
                "label_url": m.label_url.replace("{key}", m.tile_key) if m.tile_url else "",
                "attribution": attribution, "crs": m.crs, "center": [m.center_lat, m.center_lon], "zoom": m.zoom,
                "offline_after_s": ctx.settings.offline_after_min * 60}

    @app.get("/api/public/buses")
    def public_api() -> list[dict[str, Any]]:
        """Public: where each bus is, how many wait per service, upcoming stops. No personal data."""
        return public_buses(ctx.store, ctx.documents, ctx.clock(), ctx.settings.offline_after_min * 60)

    @app.get("/api/public/services")
    def public_services() -> dict[str, str]:
        """Service letter → bilingual name, from the catalog in force (for the public pages' labels)."""
        cat = ctx.documents.current("catalog")
        return {c["code"]: f"{c['name_zh']} / {c['name_en']}" for c in (cat["document"]["services"] if cat else [])}

    @app.get("/api/public/tickets/{ticket_id}")
    def public_ticket(ticket_id: str) -> dict[str, Any]:
        info = ticket_status(ctx.store, ticket_id)
        if info is None:
            raise HTTPException(404, "总部尚未收到此号 / this ticket has not reached headquarters yet")
        return info

    @app.websocket("/ws/live")
    async def live(ws: WebSocket) -> None:
        """Staff only, same origin only: each update the ingest committed, as JSON, in order."""
        origin, host = ws.headers.get("origin"), ws.headers.get("host")
        if session_of(ctx, ws) is None or (origin and host and origin.split("://", 1)[-1] != host):
            await ws.close(code=4401)
            return
        await ws.accept()
        q = ctx.hub.subscribe()
        gone = asyncio.Event()

        async def watch() -> None:  # notices the page leaving even while no update is due
            with contextlib.suppress(Exception):
                while (await ws.receive())["type"] != "websocket.disconnect":
                    pass
            gone.set()
            ctx.hub.unsubscribe(q)
            with contextlib.suppress(asyncio.QueueFull):
                q.put_nowait(None)

        watcher = asyncio.create_task(watch())
        try:
            await ws.send_json({"type": "hello", "buses": await asyncio.to_thread(ctx.store.buses)})
            while True:
                update = await q.get()
                if update is None:  # gone, or too slow: the page reconnects and starts from a fresh snapshot
                    if not gone.is_set():
                        await ws.close(code=4408)
                    return
                await ws.send_json(update)
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            ctx.hub.unsubscribe(q)
            watcher.cancel()
            if not gone.is_set():
                with contextlib.suppress(RuntimeError):
                    await ws.close()
