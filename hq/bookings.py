"""The hotline booking desk (预约服务专线) and home visits (上门服务).

The duty operator books a caller either **at a planned stop visit** (a slot of a visit the bus was
sent in its schedule) or **at home** (an address with a pin and the need: 卧床 / 残疾 / 高龄 / 其他). The
caller's full name and phone stay here: the bus gets the masked name (张*) and the last four digits in
its ``appointments`` document, and a home visit as a planned visit of its own (``kind: home``) in its
``schedule`` document. The schedule is shared with the route calendar: publishing the calendar adds
the home visits (``home_visits``), and a booking republishes the bus's current schedule with the
calendar's visits kept and the home visits replaced, so neither publication drops the other.

Refused with a reason: the slot is full, the bus is elsewhere then, the service is not offered
there, the date is a public holiday with no service (``ztc.workdays``), or the time has passed.
Every create / change / cancel is audited in its own transaction, and so is each opening of a
caller's phone number.
"""
from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Callable
from datetime import date, datetime, time
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator

from contract import protocol
from contract.privacy import private_number
from hq.audit import AuditLog
from hq.documents import Documents
from hq.sms import SmsOutlet, SmsResult
from hq.stops import Stops, mask_phone
from hq.storage import HqStore
from ztc.workdays import WorkCalendar

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS bookings (
        id TEXT PRIMARY KEY, code TEXT NOT NULL, bus TEXT NOT NULL, kind TEXT NOT NULL, day TEXT NOT NULL,
        slot_start DOUBLE PRECISION NOT NULL, slot_end DOUBLE PRECISION NOT NULL, stop TEXT NOT NULL,
        place TEXT NOT NULL, service TEXT NOT NULL, item TEXT NOT NULL, name TEXT NOT NULL, phone TEXT NOT NULL,
        address TEXT NOT NULL, lat DOUBLE PRECISION, lon DOUBLE PRECISION, need TEXT NOT NULL, note TEXT NOT NULL,
        status TEXT NOT NULL, cancel_reason TEXT NOT NULL,
        created_at DOUBLE PRECISION NOT NULL, created_by TEXT NOT NULL,
        updated_at DOUBLE PRECISION NOT NULL, updated_by TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS bookings_bus_day ON bookings(bus, day)",
    "CREATE INDEX IF NOT EXISTS bookings_slot ON bookings(bus, stop, slot_start)",
]
NEEDS: dict[str, tuple[str, str]] = {"bedridden": ("卧床", "bedridden"), "disabled": ("残疾", "disabled"),
                                     "elderly": ("高龄", "elderly"), "other": ("其他", "other")}
KIND_TEXT = {"stop": ("站点预约", "at a stop visit"), "home": ("上门服务", "home visit")}
HM = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
PHONE = re.compile(r"^(1\d{10}|0\d{9,11})$")
_UNMASKED = re.compile(r"\d{11}|\d{17}[\dXx]")
HOME_RADIUS_M = 50.0



def new_booking_id() -> str:
    """16 hex digits that can never read as a phone or ID-card number: the id travels to the bus inside
    the home visit's stop (``home-<id>``), and the privacy check refuses any document holding a run of
    11 digits — about one random id in fifty did, and that booking could not be published."""
    while True:
        ident = uuid.uuid4().hex[:16]
        if private_number("home-" + ident) is None and not re.search(r"\d{7}", ident):
            return ident


class BookingError(ValueError):
    """A refused booking; the text names the reason (Chinese / English)."""


class BookingIn(BaseModel):
    """What the booking form sends. ``stop`` + ``slot_start`` for a stop visit; ``day``, ``start``,
    ``end``, ``address``, a pin and ``need`` for a home visit."""

    model_config = ConfigDict(extra="forbid")
    bus: Annotated[str, Field(pattern=protocol.BUS_ID_PATTERN)]
    kind: Literal["stop", "home"]
    service: Annotated[str, Field(pattern=r"^[A-Z]$")]
    item: Annotated[str, Field(pattern=r"^([A-Z][0-9]{2})?$")] = ""
    name: Annotated[str, Field(min_length=1, max_length=40)]
    phone: Annotated[str, Field(max_length=20)]
    stop: Annotated[str, Field(pattern=r"^[a-z0-9-]{1,64}$")] | None = None
    slot_start: Annotated[float, Field(ge=0, le=1e11)] | None = None
    day: date | None = None
    start: Annotated[str, Field(pattern=HM)] | None = None
    end: Annotated[str, Field(pattern=HM)] | None = None
    address: Annotated[str, Field(max_length=100)] = ""
    lat: Annotated[float, Field(ge=-90, le=90)] | None = None
    lon: Annotated[float, Field(ge=-180, le=180)] | None = None
    need: Literal["", "bedridden", "disabled", "elderly", "other"] = ""
    note: Annotated[str, Field(max_length=150)] = ""

    @field_validator("phone")
    @classmethod
    def _phone(cls, v: str) -> str:
        digits = re.sub(r"[\s-]", "", v)
        if not PHONE.match(digits):
            raise ValueError("电话应为 11 位手机号或带区号的固定电话 / a phone is an 11-digit mobile or a "
                             "landline with its area code")
        return digits

    @field_validator("name", "address", "note")
    @classmethod
    def _strip(cls, v: str) -> str:
        return v.strip()


class BookingChange(BaseModel):
    """A PATCH: the fields that change; the rest stay as booked."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["stop", "home"] | None = None
    service: Annotated[str, Field(pattern=r"^[A-Z]$")] | None = None
    item: Annotated[str, Field(pattern=r"^([A-Z][0-9]{2})?$")] | None = None
    name: Annotated[str, Field(min_length=1, max_length=40)] | None = None
    phone: Annotated[str, Field(max_length=20)] | None = None
    stop: Annotated[str, Field(pattern=r"^[a-z0-9-]{1,64}$")] | None = None
    slot_start: Annotated[float, Field(ge=0, le=1e11)] | None = None
    day: date | None = None
    start: Annotated[str, Field(pattern=HM)] | None = None
    end: Annotated[str, Field(pattern=HM)] | None = None
    address: Annotated[str, Field(max_length=100)] | None = None
    lat: Annotated[float, Field(ge=-90, le=90)] | None = None
    lon: Annotated[float, Field(ge=-180, le=180)] | None = None
    need: Literal["", "bedridden", "disabled", "elderly", "other"] | None = None
    note: Annotated[str, Field(max_length=150)] | None = None


def mask_name(name: str) -> str:
    """张三 → 张*, 欧阳娜娜 → 欧***: what the bus may show (the protocol refuses an unmasked name)."""
    name = name.strip()
    return (name[:1] + "*" * max(1, len(name) - 1))[:16] if name else ""


class Bookings:
    def __init__(self, store: HqStore, documents: Documents, stops: Stops, audit: AuditLog, sms: SmsOutlet,
                 workdays: Callable[[], WorkCalendar], tz: ZoneInfo, slot_min: int = 30, slot_capacity: int = 4,
                 office: str = "政务服务管理办公室"):
        self.store, self.documents, self.stops, self.audit, self.sms = store, documents, stops, audit, sms
        self._workdays, self.tz, self.office = workdays, tz, office
        self.slot_s, self.capacity = slot_min * 60, slot_capacity
        store.ensure_schema(SCHEMA)

    # --- reading -----------------------------------------------------------------------------------

    def get(self, ident: str) -> dict[str, Any] | None:
        rows = self.store.query("SELECT * FROM bookings WHERE id = ?", (ident,))
        return dict(rows[0]) if rows else None

    def public(self, r: dict[str, Any]) -> dict[str, Any]:
        """A booking for staff pages: everything but the phone, which is masked."""
        service = self._service(r["service"]) or {}
        item = next((i for i in service.get("items", []) if i["code"] == r["item"]), None)
        zh, en = KIND_TEXT[r["kind"]]
        need_zh, need_en = NEEDS.get(r["need"], ("", ""))
        return {"id": r["id"], "code": r["code"], "bus": r["bus"], "kind": r["kind"], "kind_zh": zh, "kind_en": en,
                "day": r["day"], "slot_start": r["slot_start"], "slot_end": r["slot_end"],
                "start": self._hm(r["slot_start"]), "end": self._hm(r["slot_end"]), "stop": r["stop"],
                "place": r["place"], "service": r["service"], "service_zh": service.get("name_zh", r["service"]),
                "item": r["item"], "item_zh": item["name_zh"] if item else "", "name": r["name"],
                "name_masked": mask_name(r["name"]), "phone_masked": mask_phone(r["phone"]),
                "address": r["address"], "lat": r["lat"], "lon": r["lon"], "need": r["need"], "need_zh": need_zh,
                "need_en": need_en, "note": r["note"], "status": r["status"], "cancel_reason": r["cancel_reason"],
                "created_at": r["created_at"], "created_by": r["created_by"], "updated_at": r["updated_at"],
                "updated_by": r["updated_by"]}

    def day_list(self, bus: str, day: date) -> list[dict[str, Any]]:
        rows = self.store.query("SELECT * FROM bookings WHERE bus = ? AND day = ? ORDER BY slot_start, created_at",
                                (bus, day.isoformat()))
        return [self.public(dict(r)) for r in rows]

    def phone(self, ident: str, actor: str, client: str, now: float) -> str:
        """The caller's full phone, for the operator who opens this one booking; the opening is audited."""
        r = self.get(ident)
        if r is None:
            raise BookingError(f"没有这条预约 / no such booking: {ident}")
        self.audit.record_alone(at=now, actor=actor, client=client, kind="booking_phone", target=ident,
                                after={"bus": r["bus"], "code": r["code"], "phone_masked": mask_phone(r["phone"])})
        return str(r["phone"])

    def slots(self, bus: str, day: date, now: float) -> dict[str, Any]:
        """The bus's published stop visits that day, each cut into slots with the places still free."""
        info = self.workdays.day(day)
        visits = []
        for v in self._stop_visits(bus):
            if self._day_of(v["arrive"]) != day:
                continue
            slots = []
            for start in self._slot_starts(v):
                taken = self._count(bus, v["stop"], start)
                slots.append({"start": start, "end": min(start + self.slot_s, v["depart"]),
                              "label": f"{self._hm(start)}–{self._hm(min(start + self.slot_s, v['depart']))}",
                              "booked": taken, "free": max(0, self.capacity - taken),
                              "past": start + self.slot_s <= now})
            visits.append({"stop": v["stop"], "name": v["name"], "arrive": v["arrive"], "depart": v["depart"],
                           "start": self._hm(v["arrive"]), "end": self._hm(v["depart"]),
                           "services": v["services"], "theme": v.get("theme"), "slots": slots})
        homes = [b for b in self.day_list(bus, day) if b["kind"] == "home" and b["status"] == "booked"]
        return {"bus": bus, "day": info.as_json(), "visits": visits, "capacity": self.capacity,
                "home_visits": [{k: b[k] for k in ("id", "start", "end", "place")} for b in homes],
                "published": self.documents.current(protocol.SCHEDULE, bus) is not None}

    # --- changing ----------------------------------------------------------------------------------

    def create(self, body: BookingIn, actor: str, client: str, now: float) -> dict[str, Any]:
        ident = new_booking_id()
        placed = self._place(body, ident, now)
        code = self._new_code()
        with self.store.transaction() as c:
            c.execute(self.store.sql(
                "INSERT INTO bookings(id, code, bus, kind, day, slot_start, slot_end, stop, place, service, item, "
                "name, phone, address, lat, lon, need, note, status, cancel_reason, created_at, created_by, "
                "updated_at, updated_by) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,'booked','',?,?,?,?)"),
                (ident, code, body.bus, body.kind, placed["day"], placed["slot_start"], placed["slot_end"],
                 placed["stop"], placed["place"], body.service, body.item, body.name, body.phone, body.address,
                 body.lat, body.lon, body.need, body.note, now, actor, now, actor))
            after = self._audited(c, ident)
            self.audit.record(c, at=now, actor=actor, client=client, kind="booking", target=ident, after=after)
        return self._tell(ident, body.bus, body.kind == "home", actor, now, "created")

    def change(self, ident: str, change: BookingChange, actor: str, client: str, now: float) -> dict[str, Any]:
        old = self.get(ident)
        if old is None:
            raise BookingError(f"没有这条预约 / no such booking: {ident}")
        if old["status"] != "booked":
            raise BookingError("这条预约已取消，不能修改 / this booking is cancelled; book anew")
        merged = {"bus": old["bus"], "kind": old["kind"], "service": old["service"], "item": old["item"],
                  "name": old["name"], "phone": old["phone"], "address": old["address"], "lat": old["lat"],
                  "lon": old["lon"], "need": old["need"], "note": old["note"]}
        if old["kind"] == "stop":
            merged |= {"stop": old["stop"], "slot_start": old["slot_start"]}
        else:
            merged |= {"day": old["day"], "start": self._hm(old["slot_start"]), "end": self._hm(old["slot_end"])}
        given = change.model_dump(exclude_unset=True)
        if given.get("kind") == "home" and old["kind"] == "stop":
            merged.pop("stop", None)
            merged.pop("slot_start", None)
        body = BookingIn.model_validate(merged | given)
        placed = self._place(body, ident, now)
        before = self.public(old) | {"phone_masked": mask_phone(old["phone"])}
        with self.store.transaction() as c:
            c.execute(self.store.sql(
                "UPDATE bookings SET kind = ?, day = ?, slot_start = ?, slot_end = ?, stop = ?, place = ?, "
                "service = ?, item = ?, name = ?, phone = ?, address = ?, lat = ?, lon = ?, need = ?, note = ?, "
                "updated_at = ?, updated_by = ? WHERE id = ?"),
                (body.kind, placed["day"], placed["slot_start"], placed["slot_end"], placed["stop"], placed["place"],
                 body.service, body.item, body.name, body.phone, body.address, body.lat, body.lon, body.need,
                 body.note, now, actor, ident))
            self.audit.record(c, at=now, actor=actor, client=client, kind="booking", target=ident,
                              before=_audit_view(before), after=self._audited(c, ident))
        homes = old["kind"] == "home" or body.kind == "home"
        return self._tell(ident, body.bus, homes, actor, now, "changed")

    def cancel(self, ident: str, reason: str, actor: str, client: str, now: float) -> dict[str, Any]:
        old = self.get(ident)
        if old is None:
            raise BookingError(f"没有这条预约 / no such booking: {ident}")
        if old["status"] != "booked":
            raise BookingError("这条预约已经取消 / this booking is already cancelled")
        with self.store.transaction() as c:
            c.execute(self.store.sql("UPDATE bookings SET status = 'cancelled', cancel_reason = ?, updated_at = ?, "
                                     "updated_by = ? WHERE id = ?"), (reason.strip()[:200], now, actor, ident))
            self.audit.record(c, at=now, actor=actor, client=client, kind="booking", target=ident,
                              before=_audit_view(self.public(old)), after=self._audited(c, ident))
        return self._tell(ident, old["bus"], old["kind"] == "home", actor, now, "cancelled")

    # --- what the bus is sent ----------------------------------------------------------------------

    def home_visits(self, bus: str, now: float) -> list[dict[str, Any]]:
        """The booked home visits from today on, as schedule visits (``kind: home``; the name is the
        address). ``RouteCalendar.publish`` adds these, so publishing the calendar keeps them."""
        rows = self.store.query("SELECT * FROM bookings WHERE bus = ? AND kind = 'home' AND status = 'booked' "
                                "AND slot_end >= ? ORDER BY slot_start", (bus, self._day_start(now)))
        return [{"stop": r["stop"], "name": r["place"][:100], "lat": r["lat"], "lon": r["lon"],
                 "radius_m": HOME_RADIUS_M, "arrive": r["slot_start"], "depart": r["slot_end"],
                 "services": [r["service"]], "theme": None, "kind": "home"} for r in rows]

    def appointment_items(self, bus: str, now: float) -> list[dict[str, Any]]:
        """The bus's bookings from today on, masked: the name as 张*, the phone as its last 4 digits."""
        rows = self.store.query("SELECT * FROM bookings WHERE bus = ? AND status = 'booked' AND slot_end >= ? "
                                "ORDER BY slot_start", (bus, self._day_start(now)))
        return [{"id": r["id"], "code": r["code"], "stop": r["stop"], "slot_start": r["slot_start"],
                 "slot_end": r["slot_end"], "service": r["service"], "name_masked": mask_name(r["name"]),
                 "phone_last4": r["phone"][-4:], "needs": _needs_text(r["need"], r["note"])} for r in rows]

    def publish(self, bus: str, homes: bool, user: str, now: float) -> dict[str, Any]:
        """Republish the bus's appointments and, when home visits changed, its schedule: the visits the
        route calendar sent are kept, the home visits replaced by the booked ones."""
        out: dict[str, Any] = {}
        if homes:
            current = self.documents.current(protocol.SCHEDULE, bus)
            kept = [v for v in (current["document"]["visits"] if current else []) if v.get("kind", "stop") != "home"]
            visits = sorted(kept + self.home_visits(bus, now), key=lambda v: v["arrive"])
            rec = self.documents.publish_document(protocol.SCHEDULE, bus, {"visits": visits}, user, now)
            out["schedule"] = {"version": rec["version"], "sent": rec["sent"]}
        rec = self.documents.publish_document(protocol.APPOINTMENTS, bus, {"items": self.appointment_items(bus, now)},
                                              user, now)
        out["appointments"] = {"version": rec["version"], "sent": rec["sent"]}
        return out

    def _tell(self, ident: str, bus: str, homes: bool, user: str, now: float, what: str) -> dict[str, Any]:
        """After the change committed: tell the bus (republish), and write the confirmation text."""
        published = self.publish(bus, homes, user, now)
        r = self.get(ident)
        assert r is not None
        text = self.confirmation(r, what)
        sms: SmsResult = self.sms.write(r["phone"], text, r["id"], now)
        return {"booking": self.public(r), "confirmation": text, "sms": sms.as_dict(), "published": published}

    def confirmation(self, r: dict[str, Any], what: str) -> str:
        """The text the operator reads out, and the sms outlet writes (Chinese first, English second)."""
        when = f"{r['day']} {self._hm(r['slot_start'])}–{self._hm(r['slot_end'])}"
        service = (self._service(r["service"]) or {}).get("name_zh", r["service"])
        who = mask_name(r["name"])
        if what == "cancelled":
            return (f"【{self.office}】{who}您好，您 {when} 的{service}预约（预约码 {r['code']}）已取消。"
                    f" / Your booking {r['code']} on {when} is cancelled.")
        verb_zh, verb_en = ("已改为", "is now") if what == "changed" else ("已预约", "is booked for")
        if r["kind"] == "home":
            return (f"【{self.office}】{who}您好，您{verb_zh} {when} 上门服务，办理{service}，地址：{r['address']}。"
                    f"预约码 {r['code']}，工作人员上门时请出示。 / Home visit {verb_en} {when} at {r['address']}; "
                    f"code {r['code']}.")
        return (f"【{self.office}】{who}您好，您{verb_zh} {when} 在{r['place']}办理{service}，预约码 {r['code']}，"
                f"到车上凭码签到，请带好身份证件和材料。 / Booking {verb_en} {when} at {r['place']}; check in on the "
                f"bus with code {r['code']}.")

    # --- the checks --------------------------------------------------------------------------------

    def _place(self, b: BookingIn, ident: str, now: float) -> dict[str, Any]:
        """Where and when the booking falls, or BookingError with the reason it cannot."""
        if self._service(b.service) is None:
            raise BookingError(f"目录中没有服务 {b.service} / service {b.service} is not in the published catalog")
        if b.item and b.item not in {i["code"] for i in self._service(b.service)["items"]}:  # type: ignore[index]
            raise BookingError(f"{b.service} 类没有事项 {b.item} / service {b.service} has no item {b.item}")
        for label, text in (("地址", b.address), ("备注", b.note)):
            if _UNMASKED.search(re.sub(r"[\s-]", "", text)):
                en = "address" if label == "地址" else "note"
                raise BookingError(f"{label}里不要写电话或身份证号（不会发到车上）/ keep phone and ID numbers "
                                   f"out of the {en}")
            if len(b.name) >= 2 and b.name in text:
                raise BookingError(f"{label}里不要写来电人姓名（车上只显示 {mask_name(b.name)}）/ keep the caller's "
                                   "name out of it: the bus shows it masked")
        if self.documents.current(protocol.SCHEDULE, b.bus) is None:
            raise BookingError("该车还没有发布行程，请先在线路日历发布 / this bus has no published schedule yet: "
                               "publish it on the route calendar first")
        visits = self._stop_visits(b.bus)
        if b.kind == "stop":
            if not b.stop or b.slot_start is None:
                raise BookingError("请选择站点和时段 / choose a stop visit and a slot")
            day = self._day_of(b.slot_start)
            if b.slot_start + self.slot_s <= now:
                raise BookingError("该时段已过 / that slot has passed")
            self._check_day(day, visits)
            at = [v for v in visits if v["arrive"] <= b.slot_start < v["depart"]]
            here = [v for v in at if v["stop"] == b.stop]
            if not here:
                if at:
                    v = at[0]
                    raise BookingError(f"车辆当时在{v['name']}（{self._hm(v['arrive'])}–{self._hm(v['depart'])}）"
                                       f" / the bus is at {v['stop']} then")
                raise BookingError("车辆当时没有安排在此站 / the bus has no visit at this stop then")
            v = here[0]
            if b.service not in v["services"]:
                name = (self._service(b.service) or {}).get("name_zh", b.service)
                raise BookingError(f"{v['name']}此次不办理{name} / {b.service} is not offered at that visit")
            if b.slot_start not in self._slot_starts(v):
                raise BookingError("请从列表中选择时段 / choose one of the listed slots")
            if self._count(b.bus, b.stop, b.slot_start, ident) >= self.capacity:
                raise BookingError(f"该时段已约满（{self.capacity} 人）/ that slot is full ({self.capacity} booked)")
            return {"day": day.isoformat(), "slot_start": b.slot_start,
                    "slot_end": min(b.slot_start + self.slot_s, v["depart"]), "stop": b.stop, "place": v["name"]}
        if b.day is None or not b.start or not b.end:
            raise BookingError("请填写上门日期和时间 / give the day and the time of the home visit")
        if not b.address:
            raise BookingError("请填写上门地址 / give the address")
        if b.lat is None or b.lon is None:
            raise BookingError("请在地图上标出上门位置 / put a pin on the map")
        if not b.need:
            raise BookingError("请选择上门原因：卧床、残疾、高龄或其他 / choose the need")
        if b.end <= b.start:
            raise BookingError(f"结束时间 {b.end} 应晚于开始时间 {b.start} / the end must be after the start")
        start, end = self._ts(b.day, b.start), self._ts(b.day, b.end)
        if end <= now:
            raise BookingError("该时间已过 / that time has passed")
        self._check_day(b.day, visits)
        for v in visits:
            if v["arrive"] < end and start < v["depart"]:
                raise BookingError(f"车辆当时在{v['name']}服务（{self._hm(v['arrive'])}–{self._hm(v['depart'])}）"
                                   f" / the bus is at {v['stop']} then")
        for o in self.store.query("SELECT id, slot_start, slot_end, place FROM bookings WHERE bus = ? AND kind = 'home'"
                                  " AND status = 'booked' AND id <> ? AND slot_start < ? AND slot_end > ?",
                                  (b.bus, ident, end, start)):
            raise BookingError(f"车辆当时在另一处上门服务（{self._hm(o['slot_start'])}–{self._hm(o['slot_end'])}）"
                               " / the bus is at another home visit then")
        return {"day": b.day.isoformat(), "slot_start": start, "slot_end": end, "stop": f"home-{ident}",
                "place": b.address}

    def _check_day(self, day: date, visits: list[dict[str, Any]]) -> None:
        info = self.workdays.day(day)
        if info.kind == "holiday" and not any(self._day_of(v["arrive"]) == day for v in visits):
            raise BookingError(f"{day} 是{info.name_zh or '节假日'}，当天没有服务 / {day} is a public holiday "
                               f"({info.name_en or 'holiday'}) with no service")

    # --- helpers -----------------------------------------------------------------------------------

    @property
    def workdays(self) -> WorkCalendar:
        return self._workdays()

    def _stop_visits(self, bus: str) -> list[dict[str, Any]]:
        current = self.documents.current(protocol.SCHEDULE, bus)
        return [v for v in (current["document"]["visits"] if current else []) if v.get("kind", "stop") == "stop"]

    def _slot_starts(self, v: dict[str, Any]) -> list[float]:
        out, t = [], float(v["arrive"])
        while t < v["depart"]:
            out.append(t)
            t += self.slot_s
        return out

    def _count(self, bus: str, stop: str, start: float, exclude: str = "") -> int:
        return int(self.store.query("SELECT COUNT(*) FROM bookings WHERE bus = ? AND stop = ? AND slot_start = ? "
                                    "AND status = 'booked' AND id <> ?", (bus, stop, start, exclude))[0][0])

    def _service(self, code: str) -> dict[str, Any] | None:
        cat = self.documents.current("catalog")
        return next((c for c in (cat["document"]["services"] if cat else []) if c["code"] == code), None)

    def _new_code(self) -> str:
        while True:
            code = f"{secrets.randbelow(10**6):06d}"
            if not self.store.query("SELECT 1 FROM bookings WHERE code = ? AND status = 'booked'", (code,)):
                return code

    def _audited(self, c: Any, ident: str) -> dict[str, Any]:
        row = c.execute(self.store.sql("SELECT * FROM bookings WHERE id = ?"), (ident,)).fetchone()
        return _audit_view(self.public(dict(row)))

    def _day_of(self, ts: float) -> date:
        return datetime.fromtimestamp(ts, self.tz).date()

    def _day_start(self, now: float) -> float:
        return datetime.combine(self._day_of(now), time(0), tzinfo=self.tz).timestamp()

    def _ts(self, day: date, hm: str) -> float:
        return datetime.combine(day, time.fromisoformat(hm), tzinfo=self.tz).timestamp()

    def _hm(self, ts: float) -> str:
        return datetime.fromtimestamp(ts, self.tz).strftime("%H:%M")


def _needs_text(need: str, note: str) -> str:
    zh = NEEDS.get(need, ("", ""))[0]
    return "：".join(x for x in (zh, note) if x)[:200]


def _audit_view(b: dict[str, Any]) -> dict[str, Any]:
    """What the audit log keeps of a booking: the phone only masked (the log is read by many)."""
    keep = ("code", "bus", "kind", "day", "start", "end", "stop", "place", "service", "item", "name",
            "phone_masked", "address", "need", "note", "status", "cancel_reason")
    return {k: b[k] for k in keep}

