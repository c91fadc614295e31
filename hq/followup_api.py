"""HTTP routes of issue 14 §3–§5: accepted cases (受理 → 办结 → EMS), suggestions and unmet demand,
the regular reports, and the public results page. Staff pages need a log-in and changes the CSRF
token (``hq.guard``); the public routes return whitelisted fields only."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from hq import calendar_api, periodic
from hq.accepted import AcceptedCases, AcceptedError
from hq.auth import Session
from hq.context import HqContext
from hq.demand import SuggestionError, add_phone_suggestion, demand, phone_suggestions
from hq.guard import changer, session_of, staff
from hq.pages import NO_STORE, STATIC
from hq.public import TICKET_ID_RE
from hq.report_archive import ReportArchive
from hq.stats import day_bounds

DAY = r"^\d{4}-\d{2}-\d{2}$"
MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"
PUBLIC_MONTHS = 12
PUBLIC_CACHE_S = 60  # the public page is unauthenticated: its figures are recomputed at most once a minute
# Published per month (GB/T 39734-2020 Appendix B asks for the evaluation results to be made public;
# these are the 好差评 figures the national scheme names, plus what the bus did): whitelisted by name.
PUBLIC_FIELDS = ("sessions_held", "served", "outcomes", "ratings", "rating_rate", "good_rate", "ratings_bad",
                 "callback_rate", "rectify_rate", "accepted_done", "suggestions_kiosk", "suggestions_phone")


class AcceptedChange(BaseModel):
    done: bool = False
    ems_no: Annotated[str, Field(max_length=40)] | None = None
    note: Annotated[str, Field(max_length=500)] | None = None


class PhoneSuggestion(BaseModel):
    text: Annotated[str, Field(max_length=2000)]


class MakeReport(BaseModel):
    kind: Literal["week", "month"]
    day: date | None = None  # a day in the period; default: today in the county's time zone


def build_archive(ctx: HqContext) -> ReportArchive:
    """The report archive over this headquarters' store (also used by ``ztc hq report``)."""
    return ReportArchive(ctx.store, AcceptedCases(ctx.store), ctx.cases, lambda: calendar_api.build(ctx), ctx.tz,
                         ctx.settings.office_name)


def add_routes(app: FastAPI, ctx: HqContext) -> None:
    published: dict[str, tuple[float, dict[str, Any]]] = {}
    accepted = AcceptedCases(ctx.store)
    archive = build_archive(ctx)
    logged_in = Depends(staff(ctx))
    operator = Depends(changer(ctx))

    def today() -> date:
        return datetime.fromtimestamp(ctx.clock(), ctx.tz).date()

    def page(name: str) -> Any:
        def show(request: Request) -> Response:
            if session_of(ctx, request) is None:
                return RedirectResponse("/login", 303)
            return FileResponse(STATIC / name, headers=NO_STORE)
        return show

    for path, name in (("/accepted", "accepted.html"), ("/demand", "demand.html"), ("/reports", "reports.html")):
        app.add_api_route(path, page(name), methods=["GET"], include_in_schema=False, response_model=None)

    @app.get("/results", include_in_schema=False)
    def results_page() -> FileResponse:
        return FileResponse(STATIC / "results.html")

    # --- accepted cases ----------------------------------------------------------------------------

    @app.get("/api/v1/accepted")
    def accepted_list(status: Annotated[str | None, Query(pattern="^(open|done)$")] = None,
                      bus: str | None = None, s: Session = logged_in) -> list[dict[str, Any]]:
        """受理 cases: case number, department, promised date, 办结 and EMS; ``overdue`` past the date."""
        return accepted.listing(today(), status, bus)

    @app.post("/api/v1/accepted/{case_id}")
    def accepted_change(case_id: str, body: AcceptedChange, s: Session = operator) -> dict[str, Any]:
        try:
            return accepted.update(case_id, s.user.name, ctx.clock(), ctx.tz, body.done, body.ems_no, body.note)
        except AcceptedError as e:
            raise HTTPException(422, str(e)) from None

    @app.get("/api/public/tickets/{ticket_id}/case")
    def public_case(ticket_id: str) -> dict[str, Any]:
        """The ticket's 受理 case as its holder may see it: number, department, dates, 办结, EMS."""
        case = accepted.for_ticket(ticket_id, today()) if TICKET_ID_RE.match(ticket_id) else None
        if case is None:
            raise HTTPException(404, "此号没有受理件 / this ticket has no accepted case")
        return AcceptedCases.public(case)

    # --- suggestions and unmet demand --------------------------------------------------------------

    def span(first: str | None, last: str | None) -> tuple[float, float]:
        try:
            a = date.fromisoformat(first) if first else today().replace(day=1)
            b = date.fromisoformat(last) if last else today()
        except ValueError as e:
            raise HTTPException(422, f"日期无效 / invalid date: {e}") from None
        if b < a or (b - a).days > 366:
            raise HTTPException(422, "日期范围无效（最多 366 天）/ invalid range (366 days at most)")
        return day_bounds(a, ctx.tz)[0], day_bounds(b, ctx.tz)[1]

    @app.get("/api/v1/demand")
    def demand_table(first: Annotated[str | None, Query(alias="from", pattern=DAY)] = None,
                     last: Annotated[str | None, Query(alias="to", pattern=DAY)] = None,
                     bus: str | None = None, s: Session = logged_in) -> dict[str, Any]:
        """Requests refused per stop and service (with reasons) and suggestion topics; default this month."""
        start, end = span(first, last)
        return demand(ctx.store, start, end, bus) | {"phone": phone_suggestions(ctx.store, start, end, bus)}

    @app.post("/api/public/tickets/{ticket_id}/suggestion", status_code=201)
    def phone_suggestion(ticket_id: str, body: PhoneSuggestion) -> dict[str, Any]:
        """A resident's free-text suggestion from the ticket's page (the phone has an input method)."""
        if not TICKET_ID_RE.match(ticket_id):
            raise HTTPException(404, "没有这个号 / no such ticket")
        try:
            return add_phone_suggestion(ctx.store, ticket_id, body.text, ctx.clock())
        except SuggestionError as e:
            raise HTTPException(422, str(e)) from None

    # --- regular reports ---------------------------------------------------------------------------

    @app.get("/api/v1/reports")
    def reports(s: Session = logged_in) -> list[dict[str, Any]]:
        return archive.listing()

    @app.post("/api/v1/reports", status_code=201)
    def make_report(body: MakeReport, s: Session = operator) -> dict[str, Any]:
        return archive.make(body.kind, body.day or today(), s.user.name, ctx.clock())

    @app.get("/api/v1/reports/{report_id}.{fmt}", response_model=None)
    def report_file(report_id: str, fmt: Literal["pdf", "csv"], s: Session = logged_in) -> Response:
        body = archive.file(report_id, fmt)
        if body is None:
            raise HTTPException(404, f"没有这份报告 / no such report: {report_id}")
        media = "application/pdf" if fmt == "pdf" else "text/csv; charset=utf-8"
        return Response(body, media_type=media,
                        headers={"Content-Disposition": f'attachment; filename="ztc-{report_id}.{fmt}"'})

    # --- public results ----------------------------------------------------------------------------

    @app.get("/api/public/results")
    def public_results(month: Annotated[str | None, Query(pattern=MONTH)] = None) -> dict[str, Any]:
        """The county's published indicators, one entry per month (the last 12, or the one asked for)."""
        key = month or today().isoformat()
        hit = published.get(key)
        if hit is not None and ctx.clock() - hit[0] < PUBLIC_CACHE_S:
            return hit[1]
        anchor = date.fromisoformat(f"{month}-01") if month else today()
        months = []
        for _ in range(1 if month else PUBLIC_MONTHS):
            first, last, label = periodic.period("month", anchor)
            f = periodic.figures(ctx.store, accepted, ctx.cases, None, first, last, ctx.tz, now=ctx.clock())
            months.append({"month": label, **{k: f[k] for k in PUBLIC_FIELDS}})
            anchor = first - timedelta(days=1)
        out = {"timezone": str(ctx.tz), "months": months}
        if len(published) > 500:
            published.clear()
        published[key] = (ctx.clock(), out)
        return out
