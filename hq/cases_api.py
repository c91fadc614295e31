"""HTTP routes of 好差评 at headquarters: the resident's phone page (rate or add to a rating with
the ticket's secret) and the staff's case work (take, callback, verify, act, re-check, evidence,
the callback number for the handler only), and the figures.

The case page is ``/cases`` (hq/static/cases.html); every change needs a session and CSRF token.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Query, Request, Response
from fastapi.responses import FileResponse, RedirectResponse
from pydantic import BaseModel, Field

from hq import contacts
from hq.auth import Session
from hq.cases import CASE_CLASSES, MAX_EVIDENCE, STATES, CaseError
from hq.context import HqContext
from hq.guard import changer, session_of, staff
from hq.pages import NO_STORE, STATIC
from hq.public import TICKET_ID_RE
from hq.ratings import MAX_TEXT, RatingError
from ztc.domain.feedback import PHONE_RE
from ztc.domain.vocabulary import CALLBACK_CONSENT, CALLBACK_CONSENT_VERSION, RATING_LEVELS, RATING_REASONS

Token = Annotated[str | None, Query(max_length=64, alias="k")]


class PhoneRating(BaseModel):
    k: Annotated[str, Field(min_length=1, max_length=64)]
    level: Annotated[int, Field(ge=1, le=5)] | None = None
    reasons: Annotated[list[Annotated[str, Field(max_length=32)]], Field(max_length=8)] = []
    text: Annotated[str, Field(max_length=MAX_TEXT)] = ""
    phone: Annotated[str, Field(max_length=20)] = ""
    consent: bool = False


class Assign(BaseModel):
    handler: Annotated[str, Field(min_length=1, max_length=64)]


class Step(BaseModel):
    step: Annotated[str, Field(pattern="^(callback|verify|action|recheck)$")]
    note: Annotated[str, Field(max_length=2000)] = ""
    reason_class: Annotated[str, Field(max_length=32)] | None = None
    ok: bool | None = None


def _client(request: Request) -> str:
    return request.client.host if request.client else "?"


def add_routes(app: FastAPI, ctx: HqContext) -> None:
    logged_in = Depends(staff(ctx))
    operator = Depends(changer(ctx))

    def ticket_or_404(ticket_id: str) -> str:
        if not TICKET_ID_RE.match(ticket_id):
            raise HTTPException(404, "没有这张票 / no such ticket")
        return ticket_id

    # --- the resident's phone (public: the ticket's secret is the permission) -----------------------

    @app.get("/api/public/tickets/{ticket_id}/rating")
    def phone_view(ticket_id: str, k: Token = None) -> dict[str, Any]:
        try:
            out = ctx.ratings.view(ticket_or_404(ticket_id), k, ctx.clock())
        except RatingError as e:
            raise HTTPException(e.status, str(e)) from None
        out.pop("_bus", None)
        return out | {
            "consent": " ".join(CALLBACK_CONSENT),
            "consent_zh": CALLBACK_CONSENT.zh,
            "consent_en": CALLBACK_CONSENT.en,
        }

    @app.post("/api/public/tickets/{ticket_id}/rating")
    def phone_rate(ticket_id: str, body: PhoneRating) -> dict[str, Any]:
        ticket_or_404(ticket_id)
        phone = "".join(ch for ch in body.phone if ch.isdigit())
        if phone and not body.consent:
            raise HTTPException(
                422, "留电话前请阅读并同意回访说明 / agree to the callback text before leaving a number"
            )
        if phone and not PHONE_RE.match(phone):
            raise HTTPException(
                422, "请输入 11 位手机号或带区号的固定电话 / enter a mobile number or a landline with area code"
            )
        if phone and not (body.level is not None and body.level <= 2):
            raise HTTPException(422, "回访只在差评时提供 / a callback is offered only with a bad rating")
        now = ctx.clock()
        try:
            out = ctx.ratings.add(ticket_id, body.k, now, body.level, body.reasons, body.text)
        except RatingError as e:
            raise HTTPException(e.status, str(e)) from None
        if phone:
            bus = ctx.ratings.view(ticket_id, body.k, now)["_bus"]
            with ctx.store.transaction() as c:
                c.execute(
                    ctx.store.sql(contacts.insert_sql()),
                    (ticket_id, bus, phone, CALLBACK_CONSENT_VERSION, "phone", now),
                )
        ctx.cases.sync(now)
        return out

    @app.get("/t/{ticket_id}/rate", include_in_schema=False)
    def phone_page(ticket_id: str) -> FileResponse:
        return FileResponse(STATIC / "rate.html")

    # --- staff ------------------------------------------------------------------------------------

    @app.get("/cases", include_in_schema=False, response_model=None)
    def cases_page(request: Request) -> Response:
        if session_of(ctx, request) is None:
            return RedirectResponse("/login", 303)
        return FileResponse(STATIC / "cases.html", headers=NO_STORE)

    @app.get("/api/v1/cases/vocabulary")
    def vocabulary(s: Session = logged_in) -> dict[str, Any]:
        return {
            "states": {k: " / ".join(v) for k, v in STATES.items()},
            "classes": {k: {"text": f"{zh} / {en}", "justified": j} for k, (zh, en, j) in CASE_CLASSES.items()},
            "levels": {str(k): " / ".join(v) for k, v in RATING_LEVELS.items()},
            "reasons": {k: " / ".join(v) for k, v in RATING_REASONS.items()},
            "me": s.user.name,
            "role": s.user.role,
            "tz": ctx.settings.timezone,
        }

    @app.get("/api/v1/cases")
    def cases(
        status: Annotated[str | None, Query(pattern="^(open|resolved|closed|callback|verify|action|recheck)$")] = None,
        bus: str | None = None,
        s: Session = logged_in,
    ) -> list[dict[str, Any]]:
        return ctx.cases.listing(ctx.clock(), "closed" if status == "resolved" else status, bus)

    @app.get("/api/v1/cases/figures")
    def figures(s: Session = logged_in) -> dict[str, Any]:
        return ctx.cases.figures(ctx.clock())

    @app.get("/api/v1/cases/{case_id}")
    def case(case_id: str, s: Session = logged_in) -> dict[str, Any]:
        try:
            return ctx.cases.get(case_id, ctx.clock())
        except CaseError as e:
            raise HTTPException(404, str(e)) from None

    @app.post("/api/v1/cases/{case_id}/assign")
    def assign(case_id: str, body: Assign, request: Request, s: Session = operator) -> dict[str, Any]:
        try:
            return ctx.cases.assign(case_id, body.handler, s.user.name, s.user.role, ctx.clock(), _client(request))
        except CaseError as e:
            raise HTTPException(422, str(e)) from None

    @app.post("/api/v1/cases/{case_id}/steps")
    def step(case_id: str, body: Step, request: Request, s: Session = operator) -> dict[str, Any]:
        try:
            return ctx.cases.act(
                case_id,
                body.step,
                s.user.name,
                ctx.clock(),
                _client(request),
                body.note,
                reason_class=body.reason_class,
                ok=body.ok,
            )
        except CaseError as e:
            raise HTTPException(422, str(e)) from None

    @app.post("/api/v1/cases/{case_id}/evidence")
    async def evidence(
        case_id: str, request: Request, name: Annotated[str, Query(max_length=120)] = "evidence", s: Session = operator
    ) -> dict[str, Any]:
        """The file as the request body, its type as Content-Type (no multipart parser needed)."""
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_EVIDENCE:
                raise HTTPException(413, "文件超过 5 MB / the file is over 5 MB")
        media_type = (request.headers.get("content-type") or "").split(";")[0].strip()
        try:
            return ctx.cases.add_evidence(case_id, s.user.name, ctx.clock(), _client(request), name, media_type, body)
        except CaseError as e:
            raise HTTPException(422, str(e)) from None

    @app.get("/api/v1/cases/{case_id}/evidence/{evidence_id}", response_model=None)
    def evidence_file(case_id: str, evidence_id: str, s: Session = logged_in) -> Response:
        try:
            _name, media_type, body = ctx.cases.evidence(case_id, evidence_id)
        except CaseError as e:
            raise HTTPException(404, str(e)) from None
        return Response(
            body, media_type=media_type, headers={"Content-Disposition": f'inline; filename="{evidence_id}"'}
        )

    @app.post("/api/v1/cases/{case_id}/phone")
    def phone(case_id: str, request: Request, s: Session = operator) -> dict[str, str]:
        """POST (with CSRF), not GET: opening the number is an audited action, never a prefetch."""
        try:
            return {"phone": ctx.cases.phone(case_id, s.user.name, ctx.clock(), _client(request))}
        except CaseError as e:
            raise HTTPException(403, str(e)) from None
