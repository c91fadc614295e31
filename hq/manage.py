"""Staff routes: log-in, accounts, publishing documents and commands, follow-up cases, alerts, reports.

Every change goes through ``guard.changer`` (session + CSRF, and the role where it matters):
admins manage accounts and the fleet catalog; operators and admins publish schedules,
appointments and announcements and work the follow-up cases.
"""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import Body, Depends, FastAPI, HTTPException, Query, Request, Response
from pydantic import BaseModel, Field

from contract import protocol
from hq import quarantine, report
from hq.accepted import AcceptedCases
from hq.alerts import accepted_overdue, alerts
from hq.auth import AuthError, Session
from hq.context import HqContext
from hq.documents import DocumentError
from hq.guard import COOKIE, changer, day_param, session_of, staff, stamp
from hq.limits import Until
from hq.login_limits import LoginGate, TooMany
from hq.stats import day_stats


class Login(BaseModel):
    name: Annotated[str, Field(max_length=64)]
    password: Annotated[str, Field(max_length=1024)]


class NewUser(BaseModel):
    name: str
    role: str
    password: Annotated[str, Field(max_length=1024)]


class Announcement(BaseModel):
    text_zh: Annotated[str, Field(min_length=1, max_length=200)]
    text_en: Annotated[str, Field(max_length=200)] = ""
    until: Until | None = None


def add_routes(app: FastAPI, ctx: HqContext) -> None:
    quarantine.ensure_schema(ctx.store)
    gate = LoginGate(ctx.clock)
    logged_in = Depends(staff(ctx))
    operator = Depends(changer(ctx))
    admin = Depends(changer(ctx, "admin"))

    # --- session --------------------------------------------------------------------------------

    @app.post("/api/v1/login", responses={429: {"description": "too many attempts: see Retry-After"}})
    async def login(body: Login, request: Request, response: Response) -> dict[str, Any]:
        """JSON only (a cross-site form cannot post JSON), so logging someone in from elsewhere fails.
        Async, with the password check on the gate's own small pool (hq.login_limits)."""
        client = request.client.host if request.client else ""
        try:
            gate.admit(client)
            token, s = await gate.run(lambda: ctx.accounts.login(body.name, body.password, ctx.clock(), client))
        except TooMany as e:
            raise HTTPException(429, str(e), headers={"Retry-After": str(e.retry_after)}) from None
        except AuthError as e:
            ctx.audit.record_alone(at=ctx.clock(), actor=body.name, client=client, kind="login_failed",
                                   target=f"user:{body.name}", after={"reason": str(e)})
            raise HTTPException(401, str(e)) from None
        ctx.audit.record_alone(at=ctx.clock(), actor=s.user.name, client=client, kind="login",
                               target=f"user:{s.user.name}")
        response.set_cookie(COOKIE, token, httponly=True, samesite="strict", secure=ctx.settings.cookie_secure,
                            max_age=int(ctx.settings.session_hours * 3600), path="/")
        return {"name": s.user.name, "role": s.user.role, "csrf": s.csrf}

    @app.post("/api/v1/logout")
    def logout(request: Request, response: Response, s: Session = operator) -> dict[str, bool]:
        ctx.accounts.logout(request.cookies.get(COOKIE, ""))
        stamp(ctx, request, s).alone("logout", f"user:{s.user.name}")
        response.delete_cookie(COOKIE, path="/")
        return {"ok": True}

    @app.get("/api/v1/me")
    def me(request: Request) -> dict[str, Any]:
        s = session_of(ctx, request)
        if s is None:
            raise HTTPException(401, "请先登录 / please log in")
        return {"name": s.user.name, "role": s.user.role, "csrf": s.csrf}

    @app.get("/api/v1/users")
    def users(s: Session = logged_in) -> list[dict[str, Any]]:
        return [{"name": u.name, "role": u.role, "disabled": u.disabled} for u in ctx.accounts.users()]

    @app.post("/api/v1/users", status_code=201)
    def add_user(body: NewUser, request: Request, s: Session = admin) -> dict[str, str]:
        try:
            u = ctx.accounts.add_user(body.name, body.role, body.password, ctx.clock(), stamp(ctx, request, s))
        except AuthError as e:
            raise HTTPException(422, str(e)) from None
        return {"name": u.name, "role": u.role}

    # --- documents and commands -----------------------------------------------------------------

    @app.get("/api/v1/documents")
    def documents(s: Session = logged_in) -> list[dict[str, Any]]:
        return ctx.documents.listing()

    @app.post("/api/v1/documents/catalog", status_code=201)
    def publish_catalog(body: Annotated[dict[str, Any], Body()], request: Request,
                        s: Session = admin) -> dict[str, Any]:
        """The fleet's service list; the version is assigned here (previous + 1)."""
        return _publish(ctx, "catalog", "", body, s, request)

    @app.post("/api/v1/documents/{kind}/{bus}", status_code=201)
    def publish_for_bus(kind: str, bus: str, body: Annotated[dict[str, Any], Body()], request: Request,
                        s: Session = operator) -> dict[str, Any]:
        """``schedule`` or ``appointments`` of one bus, validated as the bus will validate it."""
        if kind not in (protocol.SCHEDULE, protocol.APPOINTMENTS):
            raise HTTPException(404, f"未知文档 / unknown document: {kind}")
        return _publish(ctx, kind, bus, body, s, request)

    @app.post("/api/v1/buses/{bus}/announce", status_code=201)
    def announce(bus: str, body: Announcement, request: Request, s: Session = operator) -> dict[str, Any]:
        cmd = {"cmd": "announce", **body.model_dump(exclude_none=True)}
        try:
            return ctx.documents.command(bus, cmd, s.user.name, ctx.clock(), stamp(ctx, request, s))
        except DocumentError as e:
            raise HTTPException(e.status, str(e)) from None

    @app.get("/api/v1/buses/{bus}/commands")
    def commands(bus: str, s: Session = logged_in) -> list[dict[str, Any]]:
        return ctx.documents.replies(bus)

    # --- follow-up and alerts -------------------------------------------------------------------

    @app.get("/api/v1/quarantine")
    def quarantined(s: Session = logged_in) -> dict[str, Any]:
        """Messages and events held because they break the contract (hq.quarantine): counts and the newest."""
        return quarantine.summary(ctx.store)

    @app.get("/api/v1/alerts")
    def current_alerts(s: Session = logged_in) -> list[dict[str, Any]]:
        ctx.cases.escalate(ctx.clock())
        today = datetime.fromtimestamp(ctx.clock(), ctx.tz).date()
        return alerts(ctx.store.buses(), ctx.cases.listing(ctx.clock(), "open"), ctx.clock(),
                      ctx.settings.offline_after_min * 60, ctx.settings.backlog_alert_min * 60) + \
            accepted_overdue(AcceptedCases(ctx.store).overdue(today))

    # --- reports --------------------------------------------------------------------------------

    @app.get("/api/v1/stats.csv", response_model=None)
    def stats_csv(date: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$")] = None,
                  s: Session = logged_in) -> Response:
        day = day_param(ctx, date)
        return Response(report.csv_text(day_stats(ctx.store, day, ctx.tz)), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="ztc-{day}.csv"'})

    @app.get("/api/v1/report.pdf", response_model=None)
    def report_pdf(date: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$")] = None,
                   s: Session = logged_in) -> Response:
        day = day_param(ctx, date)
        stats = day_stats(ctx.store, day, ctx.tz)
        cases = [c for c in ctx.cases.listing(ctx.clock()) if datetime.fromtimestamp(c["ts"], ctx.tz).date() == day]
        generated = datetime.fromtimestamp(ctx.clock(), ctx.tz)
        return Response(report.daily_pdf(stats, cases, generated), media_type="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="ztc-{day}.pdf"'})


def _publish(ctx: HqContext, kind: str, bus: str, body: dict[str, Any], s: Session,
             request: Request) -> dict[str, Any]:
    try:
        return ctx.documents.publish_document(kind, bus, body, s.user.name, ctx.clock(), stamp(ctx, request, s))
    except DocumentError as e:
        raise HTTPException(e.status, str(e)) from None

