"""Who may do what over HTTP: FastAPI dependencies for reading, staff pages, management and admin.

Reads of the PROTOCOL.md API are allowed to a logged-in user, or without log-in from
``hq.open_read_networks`` (local tools; loopback by default). Every change needs a session, the
role, and the session's CSRF token in ``X-CSRF-Token`` (a cross-site form cannot set a header).
"""
from __future__ import annotations

import ipaddress
from collections.abc import Callable
from datetime import date, datetime

from fastapi import HTTPException, Request
from starlette.requests import HTTPConnection

from hq.auth import Session, csrf_ok
from hq.context import HqContext
from hq.limits import FIRST_DAY, LAST_DAY

COOKIE = "ztc_session"
LOGIN_REQUIRED = "请先登录 / please log in"


def session_of(ctx: HqContext, request: HTTPConnection) -> Session | None:
    return ctx.accounts.session(request.cookies.get(COOKIE), ctx.clock())


def _from_open_network(ctx: HqContext, request: Request) -> bool:
    host = request.client.host if request.client else ""
    try:
        addr = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(addr in ipaddress.ip_network(n, strict=False) for n in ctx.settings.open_read_networks)


def reader(ctx: HqContext) -> Callable[[Request], None]:
    def check(request: Request) -> None:
        if session_of(ctx, request) is None and not _from_open_network(ctx, request):
            raise HTTPException(401, LOGIN_REQUIRED)
    return check


def staff(ctx: HqContext) -> Callable[[Request], Session]:
    def check(request: Request) -> Session:
        s = session_of(ctx, request)
        if s is None:
            raise HTTPException(401, LOGIN_REQUIRED)
        return s
    return check


def changer(ctx: HqContext, role: str | None = None) -> Callable[[Request], Session]:
    """A state change: session + CSRF token (+ the role, when one is named)."""
    def check(request: Request) -> Session:
        s = session_of(ctx, request)
        if s is None:
            raise HTTPException(401, LOGIN_REQUIRED)
        if not csrf_ok(s, request.headers.get("x-csrf-token")):
            raise HTTPException(403, "CSRF 校验失败，请刷新页面 / CSRF check failed: reload the page")
        if role is not None and s.user.role != role:
            raise HTTPException(403, f"需要 {role} 权限 / needs the {role} role")
        return s
    return check


def day_param(ctx: HqContext, text: str | None) -> date:
    """``?date=YYYY-MM-DD``, or today in the county's time zone."""
    if text is None:
        return datetime.fromtimestamp(ctx.clock(), ctx.tz).date()
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise HTTPException(422, f"日期无效 / invalid date: {text}") from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise HTTPException(422, f"日期超出范围 / date out of range ({FIRST_DAY} … {LAST_DAY}): {text}")
    return day
