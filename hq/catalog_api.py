"""HTTP routes of the service list editor (``hq.catalog_editor``): the staff page ``/catalog``, its JSON
routes (session; changes need an admin and the CSRF token, as the catalog always did), and the public
办事指南 (``/api/public/guide``). This module only maps requests to the editor and errors to 422."""
from __future__ import annotations

from typing import Annotated, Any

import yaml
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from hq.auth import Session
from hq.catalog_editor import CatalogEditor, CatalogError, DraftConflict, Who
from hq.context import HqContext
from hq.guard import changer, session_of, staff
from hq.pages import NO_STORE, STATIC
from ztc.domain.catalog import parse_services
from ztc.settings import SHIPPED_DIR, ServiceCategory

BusList = Annotated[list[Annotated[str, Field(max_length=32)]], Field(max_length=200)]


class DraftBody(BaseModel):
    services: Annotated[list[Any], Field(max_length=26)]
    saved_at: float | None = None  # the draft's saved_at as loaded; sent: refuse if someone saved since


class PublishBody(BaseModel):
    buses: BusList | None = None  # None or empty: every bus (the fleet topic)


class RollbackBody(PublishBody):
    version: Annotated[int, Field(ge=1)]


def shipped_services() -> list[ServiceCategory]:
    """The list a bus starts with (``config/services.yaml``): what the editor starts from."""
    data = yaml.safe_load((SHIPPED_DIR / "services.yaml").read_text(encoding="utf-8"))
    return parse_services(data["services"])


def public_guide(editor: CatalogEditor) -> dict[str, Any]:
    """办事指南 for residents: the fleet's list, plus items only some buses try (named with those buses)."""
    version, fleet = editor.published()
    cats = {c["code"]: {**c, "items": [dict(i, buses=None) for i in c["items"]]} for c in fleet}
    for b in editor.buses():
        if not b["pilot"]:
            continue
        doc = editor.documents.catalog_for(b["bus"])
        for c in doc["document"]["services"] if doc else []:
            cat = cats.setdefault(c["code"], {**c, "items": []})
            for i in c["items"]:
                mine = next((x for x in cat["items"] if x["code"] == i["code"]), None)
                if mine is None:
                    cat["items"].append(dict(i, buses=[b["bus"]]))
                elif mine["buses"] is not None and b["bus"] not in mine["buses"]:
                    mine["buses"].append(b["bus"])
    return {"version": version, "services": [cats[k] for k in sorted(cats)]}


def add_routes(app: FastAPI, ctx: HqContext) -> None:
    editor = CatalogEditor(ctx.store, ctx.documents, ctx.audit, shipped_services())
    app.state.catalog_editor = editor
    logged_in = Depends(staff(ctx))
    admin = Depends(changer(ctx, "admin"))

    def who(request: Request, s: Session) -> Who:
        return Who(s.user.name, request.client.host if request.client else "", ctx.clock())

    def refused(e: CatalogError) -> HTTPException:
        return HTTPException(422, str(e))

    @app.get("/catalog", include_in_schema=False, response_model=None)
    def catalog_page(request: Request) -> Response:
        if session_of(ctx, request) is None:
            return RedirectResponse("/login", 303)
        return FileResponse(STATIC / "catalog.html", headers=NO_STORE)

    @app.get("/api/v1/catalog/draft")
    def get_draft(s: Session = logged_in) -> dict[str, Any]:
        """The draft (or, none saved, the published list), with the version it started from."""
        return editor.draft()

    @app.put("/api/v1/catalog/draft")
    def put_draft(request: Request, body: DraftBody, s: Session = admin) -> dict[str, Any]:
        """Save the whole draft (validated as the buses validate a catalog; audited). With ``saved_at``
        (as the page sends it), a draft someone else saved meanwhile is not overwritten (409)."""
        expect = body.saved_at if "saved_at" in body.model_fields_set else False
        try:
            return editor.save_draft(body.services, who(request, s), expect=expect)
        except DraftConflict as e:
            raise HTTPException(409, str(e)) from None
        except CatalogError as e:
            raise refused(e) from None

    @app.get("/api/v1/catalog/diff")
    def get_diff(s: Session = logged_in) -> dict[str, Any]:
        """Draft against the fleet's published list: items added, removed and changed, field by field."""
        return editor.changes()

    @app.post("/api/v1/catalog/publish", status_code=201)
    def publish(request: Request, body: PublishBody, s: Session = admin) -> list[dict[str, Any]]:
        try:
            return editor.publish(body.buses, who(request, s))
        except CatalogError as e:
            raise refused(e) from None

    @app.post("/api/v1/catalog/rollback", status_code=201)
    def rollback(request: Request, body: RollbackBody, s: Session = admin) -> list[dict[str, Any]]:
        try:
            return editor.rollback(body.version, body.buses, who(request, s))
        except CatalogError as e:
            raise refused(e) from None

    @app.get("/api/v1/catalog/versions")
    def versions(s: Session = logged_in) -> list[dict[str, Any]]:
        return editor.versions()

    @app.get("/api/v1/catalog/buses")
    def buses(s: Session = logged_in) -> list[dict[str, Any]]:
        """Which bus runs which version (sent by headquarters, and as its health last reported)."""
        return editor.buses()

    @app.get("/api/public/guide")
    def guide() -> dict[str, Any]:
        """Public 办事指南: items, typical minutes, materials to bring and the policy note."""
        return public_guide(editor)
