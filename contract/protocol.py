"""The bus ↔ headquarters contract (docs/protocol.md) as code: topic names and payload validation.

Both ends import this one module, so the agent and the ingest can never disagree about a topic or
a required field. Receivers ignore unknown fields and reject a message missing a required field
(``ProtocolError``), which the caller logs, counts and survives.
"""
from __future__ import annotations

import itertools
import json
import re
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError, field_validator, model_validator

from contract.catalog import ServiceCategory
from contract.privacy import private_fields

VERSION_PREFIX = "ztc/v1"
BUS_ID_PATTERN = r"^[a-z0-9-]{1,32}$"
MAX_PAYLOAD_BYTES = 1_000_000  # bigger than any honest document; guards memory against garbage

# Bus → headquarters suffixes, headquarters → bus suffixes.
STATUS, POSITION, QUEUE, HEALTH, EVENTS, CMD_REPLY = "status", "position", "queue", "health", "events", "cmd/reply"
ACK, SCHEDULE, APPOINTMENTS, CMD, CATALOG = "ack", "schedule", "appointments", "cmd", "catalog"
UPLINK_SUFFIXES = (STATUS, POSITION, QUEUE, HEALTH, EVENTS, CMD_REPLY)
# ``catalog`` per bus: a service list tried on chosen buses first (成熟一批加载一批); the bus applies
# whichever of it and ``fleet/catalog`` has the higher version (one version sequence for both).
DOWNLINK_SUFFIXES = (ACK, SCHEDULE, APPOINTMENTS, CMD, CATALOG)
FLEET_CATALOG = f"{VERSION_PREFIX}/fleet/catalog"
FLEET_ALL = f"{VERSION_PREFIX}/fleet/#"
ALL_BUSES = f"{VERSION_PREFIX}/bus/+/#"

_BUS_RE = re.compile(BUS_ID_PATTERN)
_TOPIC_RE = re.compile(r"^ztc/v1/bus/([^/]+)/(.+)$")


class ProtocolError(ValueError):
    """A message that breaks the contract; the text says which field and why (for the log)."""


def bus_topic(bus: str, suffix: str) -> str:
    if not _BUS_RE.match(bus):
        raise ProtocolError(f"invalid bus id {bus!r}")
    return f"{VERSION_PREFIX}/bus/{bus}/{suffix}"


def bus_subscriptions(bus: str) -> list[str]:
    """What a bus may subscribe to (its own downlink topics and the fleet documents)."""
    return [bus_topic(bus, s) for s in DOWNLINK_SUFFIXES] + [FLEET_ALL]


def parse_bus_topic(topic: str) -> tuple[str, str] | None:
    """``ztc/v1/bus/yiyuan-01/cmd/reply`` → ("yiyuan-01", "cmd/reply"); None when not a valid bus topic."""
    m = _TOPIC_RE.match(topic)
    if not m or not _BUS_RE.match(m.group(1)):
        return None
    return m.group(1), m.group(2)


def encode(payload: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON, as PROTOCOL.md asks (Chinese stays readable, not \\u-escaped)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")


def decode(raw: bytes | bytearray | str) -> dict[str, Any]:
    """Parse a payload into a JSON object, or raise ProtocolError naming what is wrong."""
    if len(raw) > MAX_PAYLOAD_BYTES:
        raise ProtocolError(f"payload too large ({len(raw)} bytes)")
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes | bytearray) else raw
        data = json.loads(text, parse_constant=_reject_constant)
    except UnicodeDecodeError as e:
        raise ProtocolError(f"payload is not UTF-8: {e.reason}") from None
    except (json.JSONDecodeError, RecursionError) as e:
        raise ProtocolError(f"payload is not JSON: {str(e)[:80]}") from None
    if not isinstance(data, dict):
        raise ProtocolError(f"payload must be a JSON object, not {type(data).__name__}")
    return data


def _reject_constant(name: str) -> float:
    raise json.JSONDecodeError(f"{name} is not allowed", name, 0)


class Wire(BaseModel):
    """Receivers ignore unknown fields (compatible extension); required ones must be present."""

    model_config = ConfigDict(extra="ignore", frozen=True)


Ts = Annotated[float, Field(ge=0, le=1e11, allow_inf_nan=False)]
Text = Annotated[str, Field(max_length=2000)]
Count = Annotated[int, Field(ge=0, le=10**9)]
Ident = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
Letter = Annotated[str, Field(pattern=r"^[A-Z]$")]
Lat = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
Lon = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]


# --- bus → headquarters ------------------------------------------------------------------------

class Status(Wire):
    online: bool
    ts: Ts
    sw: Text
    boot: Ident


class Position(Wire):
    ts: Ts
    lat: Lat
    lon: Lon
    speed: Annotated[float, Field(ge=0, le=400, allow_inf_nan=False)]
    track: Annotated[float, Field(ge=0, le=360, allow_inf_nan=False)] | None  # None: heading unknown
    mode: Literal[2, 3]
    alt: float | None = None
    eph: Annotated[float, Field(ge=0)] | None = None
    sats: Count | None = None
    stop: Ident | None = None

    @model_validator(mode="after")
    def _not_null_island(self) -> Position:
        if self.lat == 0 and self.lon == 0:
            raise ValueError("(0, 0) is not a fix")
        return self


class Queue(Wire):
    ts: Ts
    stop: Ident | None
    waiting: Count
    by_service: dict[Letter, Count]
    serving: Count
    windows_open: Count
    issued_today: Count
    served_today: Count
    accepting: bool


class DeviceHealth(Wire):
    state: Literal["ok", "degraded", "error", "offline", "absent"]
    detail: Text = ""


class OutboxHealth(Wire):
    pending: Count
    oldest_ts: Ts | None


class Health(Wire):
    ts: Ts
    sw: Text
    devices: dict[Annotated[str, Field(max_length=64)], DeviceHealth]
    outbox: OutboxHealth
    disk_free_mb: Annotated[float, Field(ge=0)] | None


class Event(Wire):
    seq: Annotated[StrictInt, Field(ge=1, le=2**62)]  # "5" and true are not sequence numbers
    id: Ident
    type: Annotated[str, Field(pattern=r"^[a-z_]+(\.[a-z_]+)?$", max_length=40)]
    ts: Ts
    data: dict[str, Any]


class EventBatch(Wire):
    """``from`` (optional, an extension): the batch holds every event the bus still has with
    ``from ≤ seq ≤ last``; seqs missing in that range were dropped on the bus (recorded positions
    under storage pressure) and will never come, so headquarters may ack past them."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)
    epoch: Ident
    events: Annotated[list[Event], Field(min_length=1, max_length=5000)]
    from_seq: Annotated[StrictInt | None, Field(ge=1, le=2**62, alias="from")] = None

    @model_validator(mode="after")
    def _in_order(self) -> EventBatch:
        seqs = [e.seq for e in self.events]
        if any(b <= a for a, b in itertools.pairwise(seqs)):
            raise ValueError("events must be in strictly increasing seq order")
        if self.from_seq is not None and self.from_seq > seqs[0]:
            raise ValueError("from must not be after the first event's seq")
        return self


class CmdReply(Wire):
    id: Ident
    ok: bool
    detail: Text = ""


# --- headquarters → bus ------------------------------------------------------------------------

class Ack(Wire):
    epoch: Ident
    upto: Annotated[int, Field(ge=0, le=2**62)]


class Catalog(Wire):
    version: Annotated[int, Field(ge=1)]
    services: Annotated[list[ServiceCategory], Field(min_length=1, max_length=26)]

    @model_validator(mode="after")
    def _unique_codes(self) -> Catalog:
        codes = [c.code for c in self.services]
        items = [i.code for c in self.services for i in c.items]
        if len(set(codes)) != len(codes) or len(set(items)) != len(items):
            raise ValueError("service prefixes and item codes must be unique")
        return self


class ScheduledVisit(Wire):
    stop: Annotated[str, Field(pattern=r"^[a-z0-9-]{1,64}$")]
    name: Annotated[str, Field(min_length=1, max_length=100)]
    lat: Lat
    lon: Lon
    radius_m: Annotated[float, Field(gt=5, le=5000)]
    arrive: Ts
    depart: Ts
    services: Annotated[list[Letter], Field(min_length=1, max_length=26)]
    theme: Annotated[str, Field(max_length=200)] | None = None
    # "home": a home visit (上门服务) booked on the hotline; ``name`` is then the address, the stop id
    # ``home-…`` is the booking's, and the appointment with that stop says who and what.
    kind: Literal["stop", "home"] = "stop"

    @model_validator(mode="after")
    def _arrive_before_depart(self) -> ScheduledVisit:
        if self.depart <= self.arrive:
            raise ValueError(f"visit to {self.stop}: depart must be after arrive")
        return self


class Schedule(Wire):
    version: Annotated[int, Field(ge=1)]
    visits: Annotated[list[ScheduledVisit], Field(max_length=2000)]


# A full phone number or an ID-card number never rides along in an appointment, however it is
# written (spaces, dashes, full-width digits): headquarters refuses to publish it and the bus refuses
# a document that holds one — both with the one check of contract.privacy, on every text field.
_MASK_CHARS = "*＊×某"


class Appointment(Wire):
    id: Ident
    code: Annotated[str, Field(pattern=r"^\d{6}$")]
    stop: Annotated[str, Field(pattern=r"^[a-z0-9-]{1,64}$")] | None = None
    slot_start: Ts
    slot_end: Ts
    service: Letter
    name_masked: Annotated[str, Field(max_length=16)] = ""
    phone_last4: Annotated[str, Field(pattern=r"^(\d{4})?$")] = ""
    needs: Annotated[str, Field(max_length=200)] = ""

    @field_validator("name_masked")
    @classmethod
    def _masked(cls, v: str) -> str:
        if v and not any(ch in v for ch in _MASK_CHARS):
            raise ValueError("name_masked must be masked (e.g. 张*)")
        return v

    @model_validator(mode="after")
    def _private_and_ordered(self) -> Appointment:
        found = private_fields(self.model_dump(include={"needs", "name_masked", "stop", "id"}))
        if found:
            raise ValueError(f"appointment {self.id}: {', '.join(found)} holds a full phone or ID number")
        if self.slot_end <= self.slot_start:
            raise ValueError(f"appointment {self.id}: slot_end must be after slot_start")
        return self


class Appointments(Wire):
    version: Annotated[int, Field(ge=1)]
    items: Annotated[list[Appointment], Field(max_length=5000)]

    @model_validator(mode="after")
    def _unique_ids(self) -> Appointments:
        ids = [a.id for a in self.items]
        if len(set(ids)) != len(ids):
            raise ValueError("appointment ids must be unique")
        return self


class Cmd(Wire):
    id: Ident
    cmd: Annotated[str, Field(min_length=1, max_length=32)]


class Announce(Cmd):
    text_zh: Annotated[str, Field(min_length=1, max_length=200)]
    text_en: Annotated[str, Field(max_length=200)] = ""
    until: Ts | None = None


M = TypeVar("M", bound="Wire")

UPLINK_MODELS: dict[str, type[Wire]] = {
    STATUS: Status, POSITION: Position, QUEUE: Queue, HEALTH: Health, EVENTS: EventBatch, CMD_REPLY: CmdReply,
}
# Typed as the union, not Wire, so a validated document's ``version`` is known to the type checker.
DOCUMENT_MODELS: dict[str, type[Catalog | Schedule | Appointments]] = {
    "catalog": Catalog, SCHEDULE: Schedule, APPOINTMENTS: Appointments,
}


def validate(model: type[M], data: dict[str, Any]) -> M:
    """Validate a decoded payload; ProtocolError carries the first few problems, field by field."""
    try:
        return model.model_validate(data)
    except ValidationError as e:
        parts = []
        for err in e.errors()[:3]:
            where = ".".join(str(p) for p in err["loc"]) or "(payload)"
            parts.append(f"{where}: {err['msg']}")
        raise ProtocolError(f"{model.__name__}: " + "; ".join(parts)) from None


def parse(model: type[M], raw: bytes | bytearray | str) -> M:
    """decode + validate in one step."""
    return validate(model, decode(raw))
