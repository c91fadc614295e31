"""Admin pages and routes for accounts (add, disable, reset password, change role) and the audit log
(search by person, day and kind). Everything an admin does here is a form: no JSON, no CLI, no restart.
The account logic is in ``hq.auth`` and the password rules in ``hq.passwords``; each change carries a
``Stamp`` so its audit record is written in the same transaction."""
from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from hq.audit import KINDS, MIN_RETENTION_DAYS
from hq.auth import AuthError, Session
from hq.context import HqContext
from hq.guard import changer, session_of, staff, stamp
from hq.pages import NO_STORE, STATIC

DAY = r"^\d{4}-\d{2}-\d{2}$"


class AccountChange(BaseModel):
    """What the accounts page sends: any of the three, at least one."""

    model_config = ConfigDict(extra="forbid")
    role: str | None = None
    disabled: bool | None = None
    password: Annotated[str, Field(max_length=1024)] | None = None


def add_routes(app: FastAPI, ctx: HqContext) -> None:
    admin = Depends(changer(ctx, "admin"))
    logged_in = Depends(staff(ctx))

    def page(request: Request, name: str) -> Response:
        s = session_of(ctx, request)
        if s is None:
            return RedirectResponse("/login", 303)
        if s.user.role != "admin":
            return Response("需要 admin 权限 / needs the admin role", 403, media_type="text/plain; charset=utf-8")
        return FileResponse(STATIC / name, headers=NO_STORE)

    @app.get("/accounts", include_in_schema=False, response_model=None)
    def accounts_page(request: Request) -> Response:
        return page(request, "accounts.html")

    @app.get("/audit", include_in_schema=False, response_model=None)
    def audit_page(request: Request) -> Response:
        return page(request, "audit.html")

    @app.post("/api/v1/users/{name}")
    def change_user(name: str, body: AccountChange, request: Request, s: Session = admin) -> dict[str, Any]:
        """Change role, disable or enable, reset the password; disabling ends the account's sessions."""
        if body.role is None and body.disabled is None and body.password is None:
            raise HTTPException(422, "没有要修改的内容 / nothing to change")
        try:
            u = ctx.accounts.change(name, stamp(ctx, request, s), body.role, body.disabled, body.password)
        except AuthError as e:
            raise HTTPException(422, str(e)) from None
        return {"name": u.name, "role": u.role, "disabled": u.disabled}

    @app.get("/api/v1/audit")
    def audit(actor: Annotated[str | None, Query(max_length=64)] = None,
              kind: Annotated[str | None, Query(max_length=32)] = None,
              from_: Annotated[str | None, Query(alias="from", pattern=DAY)] = None,
              to: Annotated[str | None, Query(pattern=DAY)] = None,
              s: Session = logged_in) -> dict[str, Any]:
        """Newest first (at most 500); days are the county's (``hq.timezone``), both ends included.
        Admins only: the log says who did what from where."""
        if s.user.role != "admin":
            raise HTTPException(403, "需要 admin 权限 / needs the admin role")
        if kind and kind not in KINDS:
            raise HTTPException(422, f"未知类型 / unknown kind: {kind}")
        try:
            a = date.fromisoformat(from_) if from_ else None
            b = date.fromisoformat(to) if to else None
        except ValueError as e:
            raise HTTPException(422, f"日期无效 / invalid date: {e}") from None
        rows = ctx.audit.search(ctx.tz, actor=actor or None, kind=kind or None, day_from=a, day_to=b, limit=500)
        return {"timezone": ctx.settings.timezone, "retention_days": max(MIN_RETENTION_DAYS, ctx.audit.retention_days),
                "kinds": {k: {"zh": zh, "en": en} for k, (zh, en) in KINDS.items()},
                "entries": [e.as_dict() | {"local": datetime.fromtimestamp(e.at, ctx.tz).strftime("%Y-%m-%d %H:%M:%S")}
                            for e in rows]}
