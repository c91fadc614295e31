"""HTTP routes of the hotline booking desk: the page (/booking), its day list for printing
(/booking/day), and ``/api/v1/appointments`` (session; changes need the CSRF token, see ``hq.guard``).
The logic is in ``hq.bookings``; this module maps requests to it and refusals to 422 with their text."""
from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from contract import protocol
from hq.auth import Session
from hq.bookings import NEEDS, BookingChange, BookingError, BookingIn, Bookings
from hq.context import HqContext
from hq.guard import changer, day_param, session_of, staff
from hq.pages import NO_STORE, STATIC
from hq.sms import outlet
from hq.stops import Stops
from ztc.workdays import HolidayFileError, calendar

Day = Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$")]
BusQ = Annotated[str, Query(pattern=protocol.BUS_ID_PATTERN)]


def build(ctx: HqContext) -> Bookings:
    s = ctx.settings
    path = s.holidays_file or None
    return Bookings(ctx.store, ctx.documents, Stops(ctx.store), ctx.audit, outlet(s.sms_driver, s.sms_outbox),
                    lambda: calendar(path), ctx.tz, s.booking_slot_min, s.booking_slot_capacity, s.office_name)


def add_routes(app: FastAPI, ctx: HqContext) -> None:
    desk = build(ctx)
    app.state.bookings = desk
    rc = getattr(app.state, "route_calendar", None)
    if rc is not None:  # publishing the route calendar keeps the home visits in the schedule
        rc.extra_visits = desk.home_visits
    logged_in = Depends(staff(ctx))
    operator = Depends(changer(ctx))

    def client(request: Request) -> str:
        return request.client.host if request.client else ""

    def refused(e: Exception) -> HTTPException:
        return HTTPException(422, str(e))

    def page(request: Request, name: str) -> Response:
        if session_of(ctx, request) is None:
            return RedirectResponse("/login", 303)
        return FileResponse(STATIC / name, headers=NO_STORE)

    @app.get("/booking", include_in_schema=False, response_model=None)
    def booking_page(request: Request) -> Response:
        return page(request, "booking.html")

    @app.get("/booking/day", include_in_schema=False, response_model=None)
    def booking_day_page(request: Request) -> Response:
        """The day's list per bus, for printing (the page reads ``?bus=&date=`` itself)."""
        return page(request, "booking-day.html")

    @app.get("/api/v1/appointments")
    def day_list(bus: BusQ, date: Day = None, s: Session = logged_in) -> dict[str, Any]:
        """The bus's bookings that day (Beijing), in slot order: who, where, when, what, needs. Phones masked."""
        d = day_param(ctx, date)
        return {"bus": bus, "date": d.isoformat(), "items": desk.day_list(bus, d)}

    @app.get("/api/v1/appointments/slots")
    def slots(bus: BusQ, date: Day = None, s: Session = logged_in) -> dict[str, Any]:
        """The bus's published stop visits that day with each slot's free places, and its home visits."""
        try:
            return desk.slots(bus, day_param(ctx, date), ctx.clock())
        except HolidayFileError as e:
            raise refused(e) from None

    @app.get("/api/v1/appointments/needs")
    def needs(s: Session = logged_in) -> dict[str, list[str]]:
        return {k: list(v) for k, v in NEEDS.items()}

    @app.post("/api/v1/appointments", status_code=201)
    def create(body: BookingIn, request: Request, s: Session = operator) -> dict[str, Any]:
        """Book a caller: at a stop visit's slot or at home. Returns the code, the text to read out and
        where the sms outlet wrote it; the bus is sent its new appointments (and schedule)."""
        try:
            return desk.create(body, s.user.name, client(request), ctx.clock())
        except (BookingError, HolidayFileError) as e:
            raise refused(e) from None

    @app.get("/api/v1/appointments/{ident}")
    def one(ident: str, s: Session = logged_in) -> dict[str, Any]:
        r = desk.get(ident)
        if r is None:
            raise HTTPException(404, f"没有这条预约 / no such booking: {ident}")
        return desk.public(r)

    @app.get("/api/v1/appointments/{ident}/phone")
    def phone(ident: str, request: Request, s: Session = logged_in) -> dict[str, str]:
        """The caller's full phone, for this operator; the opening is written to the audit log."""
        try:
            return {"phone": desk.phone(ident, s.user.name, client(request), ctx.clock())}
        except BookingError as e:
            raise HTTPException(404, str(e)) from None

    @app.patch("/api/v1/appointments/{ident}")
    def change(ident: str, body: BookingChange, request: Request, s: Session = operator) -> dict[str, Any]:
        try:
            return desk.change(ident, body, s.user.name, client(request), ctx.clock())
        except (BookingError, HolidayFileError) as e:
            raise refused(e) from None
        except ValueError as e:  # the merged booking is invalid (pydantic's text names the field)
            raise refused(e) from None

    @app.delete("/api/v1/appointments/{ident}")
    def cancel(ident: str, request: Request, reason: Annotated[str, Query(max_length=200)] = "",
               s: Session = operator) -> dict[str, Any]:
        """Cancel (the row stays, marked cancelled, for the audit); the bus is told."""
        try:
            return desk.cancel(ident, reason, s.user.name, client(request), ctx.clock())
        except BookingError as e:
            raise refused(e) from None

