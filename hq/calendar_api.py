"""HTTP routes of the route calendar and the stops: staff pages (session; changes need the CSRF token,
as every change does, see ``hq.guard``) and the public calendar. The logic is in ``hq.route_calendar``
and ``hq.stops``; this module only maps requests to it and errors to 422 with their text."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Annotated, Any, TypeVar

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from contract import protocol
from hq.auth import Session
from hq.context import HqContext
from hq.guard import changer, session_of, staff, stamp
from hq.notice import notice_pdf
from hq.pages import NO_STORE, STATIC
from hq.route_calendar import MAX_WEEKS, AddedSession, CalendarError, Cancel, RouteCalendar, TemplateVisit
from hq.stops import STOP_ID, StopError, StopIn, Stops
from ztc.workdays import HolidayFileError, calendar

T = TypeVar("T")
DAY = r"^\d{4}-\d{2}-\d{2}$"
Day = Annotated[str, Query(pattern=DAY)]


class PublishBody(BaseModel):
    start: date | None = None  # default: today in the county's time zone
    weeks: Annotated[int, Field(ge=1, le=MAX_WEEKS)] = 4


def build(ctx: HqContext) -> RouteCalendar:
    path = ctx.settings.holidays_file or None
    return RouteCalendar(ctx.store, Stops(ctx.store), ctx.documents, lambda: calendar(path), ctx.tz)


def add_routes(app: FastAPI, ctx: HqContext) -> None:
    rc = build(ctx)
    app.state.route_calendar = rc
    logged_in = Depends(staff(ctx))
    operator = Depends(changer(ctx))

    def today() -> date:
        return datetime.fromtimestamp(ctx.clock(), ctx.tz).date()

    def refused(e: Exception) -> HTTPException:
        return HTTPException(422, str(e))

    def audited(request: Request, s: Session, bus: str, before: Any, after: T) -> T:
        """A calendar change done: its audit record (after the change; hq.route_calendar is left as is)."""
        stamp(ctx, request, s).alone("calendar", f"bus:{bus}", before, after)
        return after

    @app.get("/calendar", include_in_schema=False, response_model=None)
    def calendar_page(request: Request) -> Response:
        if session_of(ctx, request) is None:
            return RedirectResponse("/login", 303)
        return FileResponse(STATIC / "calendar.html", headers=NO_STORE)

    # --- stops --------------------------------------------------------------------------------------

    @app.get("/api/v1/stops")
    def stops(s: Session = logged_in) -> list[dict[str, Any]]:
        """Every stop; the liaison's phone masked (open it with …/liaison-phone)."""
        return rc.stops.listing()

    @app.get("/api/v1/stops/{stop_id}/liaison-phone")
    def liaison_phone(stop_id: str, request: Request, s: Session = logged_in) -> dict[str, str]:
        try:
            return {"phone": rc.stops.liaison_phone(stop_id, s.user.name, stamp(ctx, request, s))}
        except StopError as e:
            raise HTTPException(404, str(e)) from None

    @app.put("/api/v1/stops/{stop_id}")
    def save_stop(stop_id: str, body: StopIn, request: Request, s: Session = operator) -> dict[str, Any]:
        try:
            return rc.stops.save(stop_id, body, s.user.name, ctx.clock(), stamp(ctx, request, s))
        except StopError as e:
            raise refused(e) from None

    @app.delete("/api/v1/stops/{stop_id}")
    def delete_stop(stop_id: str, request: Request, s: Session = operator) -> dict[str, bool]:
        try:
            rc.stops.delete(stop_id, rc.stop_in_use(stop_id), stamp(ctx, request, s))
        except StopError as e:
            raise refused(e) from None
        return {"ok": True}

    @app.get("/api/v1/stops/{stop_id}/notice.pdf", response_model=None)
    def notice(stop_id: str, request: Request, from_: Annotated[str | None, Query(alias="from", pattern=DAY)] = None,
               to: Annotated[str | None, Query(pattern=DAY)] = None, s: Session = logged_in) -> Response:
        """The A4 notice for the stop's liaison to post: the published sessions there (default: today
        and the next 4 weeks), the holidays, a QR code to the public calendar of the stop."""
        stop = rc.stops.get(stop_id)
        if stop is None:
            raise HTTPException(404, f"没有这个停靠点 / no such stop: {stop_id}")
        a = date.fromisoformat(from_) if from_ else today()
        b = date.fromisoformat(to) if to else a + timedelta(days=27)
        try:
            cal = rc.public(a, b, stop=stop_id)
        except (CalendarError, HolidayFileError) as e:
            raise refused(e) from None
        entry = next((x for x in cal["stops"] if x["stop"] == stop_id),
                     {"stop": stop_id, "name": stop["name_zh"], "village": stop["village"], "sessions": []})
        base = (ctx.settings.public_url or str(request.base_url)).rstrip("/")
        url = f"{base}/public?stop={stop_id}&from={a.isoformat()}&to={b.isoformat()}"
        cat = ctx.documents.current("catalog")
        services = {c["code"]: f"{c['name_zh']} / {c['name_en']}" for c in (cat["document"]["services"] if cat else [])}
        pdf = notice_pdf(entry, cal, services, url, ctx.settings.office_name)
        return Response(pdf, media_type="application/pdf",
                        headers={"Content-Disposition": f'inline; filename="notice-{stop_id}-{a}.pdf"'})

    # --- the calendar -------------------------------------------------------------------------------

    @app.get("/api/v1/route/buses")
    def route_buses(s: Session = logged_in) -> list[str]:
        """Buses heard from or planned (the page's bus choice)."""
        return rc.buses()

    @app.get("/api/v1/workdays")
    def workdays(start: Day, end: Day, s: Session = logged_in) -> list[dict[str, Any]]:
        """China's working-day calendar with the county's decisions, day by day (62 days at most)."""
        a, b = date.fromisoformat(start), date.fromisoformat(end)
        if b < a or (b - a).days > 62:
            raise HTTPException(422, "日期范围无效（最多 62 天）/ invalid range (62 days at most)")
        try:
            return [d.as_json() for d in rc.workdays.days(a, b)]
        except HolidayFileError as e:
            raise refused(e) from None

    @app.get("/api/v1/route/{bus}/templates")
    def templates(bus: str, s: Session = logged_in) -> list[dict[str, Any]]:
        return rc.templates(bus)

    @app.post("/api/v1/route/{bus}/templates", status_code=201)
    def add_template(bus: str, body: TemplateVisit, request: Request, s: Session = operator) -> dict[str, Any]:
        try:
            done = rc.add_template(bus, body, s.user.name, ctx.clock())
        except CalendarError as e:
            raise refused(e) from None
        return audited(request, s, bus, None, done)

    @app.delete("/api/v1/route/{bus}/templates/{ident}")
    def delete_template(bus: str, ident: str, request: Request, s: Session = operator) -> dict[str, bool]:
        before = next((t for t in rc.templates(bus) if t["id"] == ident), None)
        try:
            rc.delete_template(bus, ident)
        except CalendarError as e:
            raise HTTPException(404, str(e)) from None
        return audited(request, s, bus, before, {"ok": True})

    @app.get("/api/v1/route/{bus}/month")
    def month(bus: str, month: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$")] = None,
              s: Session = logged_in) -> dict[str, Any]:
        """The month as planned: each day's kind (holiday, 调休, weekend), its visits and exceptions."""
        y, m = (int(x) for x in (month or today().strftime("%Y-%m")).split("-"))
        if not 1 <= m <= 12:
            raise HTTPException(422, f"月份无效 / invalid month: {month}")
        try:
            days = rc.month(bus, y, m)
        except (CalendarError, HolidayFileError) as e:
            raise refused(e) from None
        return {"bus": bus, "month": f"{y:04d}-{m:02d}", "today": today().isoformat(), "days": days,
                "publications": rc.publications(bus)}

    @app.post("/api/v1/route/{bus}/sessions", status_code=201)
    def add_session(bus: str, body: AddedSession, request: Request, s: Session = operator) -> dict[str, Any]:
        """A 错时服务 (extra) or 专场 (themed) session on one day."""
        try:
            done = rc.add_session(bus, body, s.user.name, ctx.clock())
        except CalendarError as e:
            raise refused(e) from None
        return audited(request, s, bus, None, done)

    @app.post("/api/v1/route/{bus}/cancellations", status_code=201)
    def cancel(bus: str, body: Cancel, request: Request, s: Session = operator) -> dict[str, Any]:
        """Cancel a whole day (no ``template_id``) or one regular visit of that day, with the reason."""
        try:
            done = rc.cancel(bus, body, s.user.name, ctx.clock())
        except CalendarError as e:
            raise refused(e) from None
        return audited(request, s, bus, None, done)

    @app.delete("/api/v1/route/{bus}/exceptions/{ident}")
    def undo(bus: str, ident: str, request: Request, s: Session = operator) -> dict[str, bool]:
        """Remove an added session or a cancellation."""
        try:
            rc.delete_exception(bus, ident)
        except CalendarError as e:
            raise HTTPException(404, str(e)) from None
        return audited(request, s, bus, {"exception": ident}, {"ok": True})

    @app.post("/api/v1/route/{bus}/publish", status_code=201)
    def publish(bus: str, body: PublishBody, request: Request, s: Session = operator) -> dict[str, Any]:
        """Send the coming weeks to the bus as its schedule document (validated, versioned, retained)."""
        try:
            done = rc.publish(bus, body.start or today(), body.weeks, s.user.name, ctx.clock())
        except (CalendarError, HolidayFileError) as e:
            raise refused(e) from None
        stamp(ctx, request, s).alone("calendar", f"bus:{bus}", None,
                                     {"published": {"start": str(body.start or today()), "weeks": body.weeks,
                                                    "version": done.get("version")}})
        return done

    # --- public -------------------------------------------------------------------------------------

    @app.get("/api/public/calendar")
    def public_calendar(from_: Annotated[str | None, Query(alias="from", pattern=r"^\d{4}-\d{2}-\d{2}$")] = None,
                        to: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$")] = None,
                        bus: Annotated[str | None, Query(pattern=protocol.BUS_ID_PATTERN)] = None,
                        stop: Annotated[str | None, Query(pattern=STOP_ID)] = None) -> dict[str, Any]:
        """Public: the published sessions per stop (by village) with themes, and the holidays and 调休
        working weekends in the range (default: today and the next 4 weeks). No liaison, no phone."""
        try:
            a = date.fromisoformat(from_) if from_ else today()
            b = date.fromisoformat(to) if to else a + timedelta(days=27)
            return rc.public(a, b, bus, stop)
        except ValueError as e:
            raise HTTPException(422, re.sub(r"\s+", " ", str(e))) from None
