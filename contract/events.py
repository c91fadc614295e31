"""Every event type a bus sends (docs/protocol.md, "Event data, per type") as a typed model.

Written from the bus's ``ctx.emit(...)`` call sites in ``ztc/domain`` and ``telemetry/track.py``.
Strict: ``"5"`` is not a number and ``true`` is not a count, every text and list is bounded, times
are finite. Fields the bus always writes are still optional here (a third-party client, or an older
bus, may leave one out; readers use what is there), except what makes the event mean anything at
all (a rating's level). Unknown fields are allowed, as the protocol asks, but the whole ``data``
must pass ``contract.limits`` too. An event type not listed here is not valid: a new type is added
to this package, which both sides share, before a bus sends it.
"""
from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from contract.limits import EVENT_DATA, LimitError, check_json


class EventError(ValueError):
    """An event that breaks the contract; the text names the type, the field and why."""


Ident = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
Number = Annotated[str, Field(min_length=1, max_length=16, pattern=r"^[A-Za-z0-9-]+$")]  # A001
Letter = Annotated[str, Field(pattern=r"^[A-Z]$")]
ItemCode = Annotated[str, Field(min_length=1, max_length=16, pattern=r"^[A-Za-z0-9_.-]+$")]
StopId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
Code = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[a-z0-9_]+$")]
Name = Annotated[str, Field(max_length=200)]  # a stop name (an on-demand stop's is typed by the crew)
CrewName = Annotated[str, Field(max_length=100)]
ShortText = Annotated[str, Field(max_length=64)]
Ts = Annotated[float, Field(ge=0, le=1e11, allow_inf_nan=False)]
Seconds = Annotated[float, Field(ge=-1e9, le=1e9, allow_inf_nan=False)]
Window = Annotated[int, Field(ge=0, le=999)]
Count = Annotated[int, Field(ge=0, le=10**6)]


class EventData(BaseModel):
    """Strict types; unknown fields kept (and checked by ``contract.limits``)."""

    model_config = ConfigDict(extra="allow", strict=True, frozen=True)


class StopArrived(EventData):
    visit_id: Ident | None = None
    stop: StopId | None = None
    name: Name | None = None
    source: ShortText | None = None  # gps, crew, or what a command line passed
    adhoc: bool | None = None
    planned_arrive: Ts | None = None
    planned_depart: Ts | None = None
    late_s: Seconds | None = None
    services: Annotated[list[Letter], Field(max_length=26)] | None = None


class StopDeparted(EventData):
    visit_id: Ident | None = None
    stop: StopId | None = None
    source: ShortText | None = None  # gps, crew, or what a command line passed
    late_s: Seconds | None = None
    released: Count | None = None
    rebooked: Count | None = None


class TicketEvent(EventData):
    """The fields every ticket event shares."""

    ticket_id: Ident | None = None
    number: Number | None = None
    service: Letter | None = None
    window: Window | None = None


class TicketIssued(TicketEvent):
    item: ItemCode | None = None
    priority: bool | None = None
    appointment_id: Ident | None = None
    visit_id: Ident | None = None
    stop: StopId | None = None
    issued_at: Ts | None = None
    ahead: Count | None = None
    est_wait_s: Seconds | None = None
    transferred_from: Ident | None = None
    cutoff_override: bool | None = None


class TicketCalled(TicketEvent):
    crew: CrewName | None = None
    call_count: Count | None = None
    reason: Code | None = None


class TicketServed(TicketEvent):
    item: ItemCode | None = None
    outcome: Code | None = None
    crew: CrewName | None = None
    wait_s: Seconds | None = None
    service_s: Seconds | None = None
    pages_scanned: Count | None = None
    pages_printed: Count | None = None
    ems_no: Annotated[str, Field(max_length=32, pattern=r"^[A-Za-z0-9]*$")] | None = None
    priority: bool | None = None
    appointment_id: Ident | None = None
    visit_id: Ident | None = None


class TicketNoShow(TicketEvent):
    calls: Count | None = None


class TicketRebooked(TicketEvent):
    appointment_id: Ident | None = None
    code: Annotated[str, Field(pattern=r"^\d{6}$")] | None = None
    stop: StopId | None = None
    slot_start: Ts | None = None


class TicketTransferred(TicketEvent):
    to_service: Letter | None = None
    new_ticket_id: Ident | None = None
    new_number: Number | None = None


class Rating(TicketEvent):
    level: Annotated[int, Field(ge=1, le=5)]
    reasons: Annotated[list[Code], Field(max_length=16)] = []
    crew: CrewName | None = None
    visit_id: Ident | None = None


class Suggestion(EventData):
    id: Ident | None = None
    topics: Annotated[list[Code], Field(max_length=16)] = []
    visit_id: Ident | None = None


class AppointmentCheckedIn(EventData):
    appointment_id: Ident | None = None
    ticket_id: Ident | None = None
    number: Number | None = None
    service: Letter | None = None
    slot_start: Ts | None = None
    late_s: Seconds | None = None


class Track(EventData):
    """Positions recorded while the link was down; each is checked again as a ``position`` when stored
    (an invalid one is skipped and counted, the others kept), so only the container is strict here."""

    positions: Annotated[list[dict[str, Any]], Field(max_length=100)]


class ClockStepped(EventData):
    """The bus's wall clock was stepped (ztc/wallclock.py): events ``from_seq``..``upto_seq`` of this
    epoch were stamped ``delta_s`` off. A board that booted at 1970 steps by ~56 years (1.8e9 s)."""

    delta_s: Annotated[float, Field(ge=-1e10, le=1e10, allow_inf_nan=False)]
    from_seq: Annotated[int, Field(ge=1, le=2**62)]
    upto_seq: Annotated[int, Field(ge=1, le=2**62)]
    wall_before: Ts | None = None


EVENT_MODELS: dict[str, type[EventData]] = {
    "stop.arrived": StopArrived,
    "stop.departed": StopDeparted,
    "ticket.issued": TicketIssued,
    "ticket.called": TicketCalled,
    "ticket.started": TicketEvent,
    "ticket.served": TicketServed,
    "ticket.no_show": TicketNoShow,
    "ticket.cancelled": TicketEvent,
    "ticket.released": TicketEvent,
    "ticket.rebooked": TicketRebooked,
    "ticket.transferred": TicketTransferred,
    "rating": Rating,
    "suggestion": Suggestion,
    "appointment.checked_in": AppointmentCheckedIn,
    "track": Track,
    "clock.stepped": ClockStepped,
}


def validate_event(type_: str, data: Any) -> EventData:
    """The typed event, or EventError naming the first few problems (field by field)."""
    model = EVENT_MODELS.get(type_)
    if model is None:
        raise EventError(f"unknown event type {type_[:40]!r}")
    if not isinstance(data, dict):
        raise EventError(f"{type_}: data must be an object, not {type(data).__name__}")
    try:
        check_json(data, EVENT_DATA)
    except LimitError as e:
        raise EventError(f"{type_}: {e}") from None
    try:
        return model.model_validate(data)
    except ValidationError as e:
        parts = [f"{'.'.join(str(p) for p in err['loc']) or '(data)'}: {err['msg']}" for err in e.errors()[:3]]
        raise EventError(f"{type_}: " + "; ".join(parts)) from None
