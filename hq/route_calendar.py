"""The route calendar (定时定点, 错时服务, 专场服务): per bus, weekly templates applied to the month by
China's working-day calendar, with the office's exceptions, published to the bus as its schedule.

- A **template** visit is (weekday, stop, times, services, theme). It applies on that weekday when
  the day is a working day or a plain weekend; never on a public holiday. A 调休 working weekend does
  the work of the weekday off it pays for (2026-10-10 works as Wed 10-07), so it gets that weekday's
  visits.
- **Exceptions** per bus and day: cancel the day, cancel one template visit, or add a session: 错时
  服务 (a weekend / holiday / evening session) or 专场 (a themed session: theme and description).
- **Publish** turns the coming weeks into the bus's ``schedule`` document through ``hq.documents``
  (validated as the bus validates it, versioned, retained), and keeps what it sent with the public
  details (village, description, holiday names) for ``/api/public/calendar``: the public sees what
  the buses were sent, not a draft.
"""
from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, model_validator

from contract import protocol
from hq.documents import Documents
from hq.stops import Stops
from hq.storage import HqStore
from ztc.workdays import WorkCalendar

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS route_templates (
        id TEXT PRIMARY KEY, bus TEXT NOT NULL, weekday BIGINT NOT NULL, stop TEXT NOT NULL,
        arrive TEXT NOT NULL, depart TEXT NOT NULL, services TEXT NOT NULL, theme TEXT NOT NULL,
        updated_at DOUBLE PRECISION NOT NULL, updated_by TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS route_exceptions (
        id TEXT PRIMARY KEY, bus TEXT NOT NULL, day TEXT NOT NULL, kind TEXT NOT NULL,
        template_id TEXT, stop TEXT, arrive TEXT, depart TEXT, services TEXT, theme TEXT NOT NULL,
        description TEXT NOT NULL, reason TEXT NOT NULL,
        created_at DOUBLE PRECISION NOT NULL, created_by TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS route_publications (
        bus TEXT NOT NULL, version BIGINT NOT NULL, start_day TEXT NOT NULL, end_day TEXT NOT NULL,
        sessions TEXT NOT NULL, published_at DOUBLE PRECISION NOT NULL, published_by TEXT NOT NULL,
        PRIMARY KEY (bus, version))""",
    "CREATE INDEX IF NOT EXISTS route_templates_bus ON route_templates(bus, weekday)",
    "CREATE INDEX IF NOT EXISTS route_exceptions_bus_day ON route_exceptions(bus, day)",
]
HM = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
KINDS = {"template": ("定时定点", "regular"), "extra": ("错时服务", "extra session"),
         "themed": ("专场服务", "themed session")}
MAX_WEEKS = 8
MAX_AHEAD_WEEKS = 26  # a schedule reaches half a year ahead at most (2,000 visits)


class CalendarError(ValueError):
    """A refused plan change; the text names the problem (Chinese / English)."""


class _Times(BaseModel):
    model_config = ConfigDict(extra="forbid")
    stop: Annotated[str, Field(pattern=r"^[a-z0-9-]{1,64}$")]
    arrive: Annotated[str, Field(pattern=HM)]
    depart: Annotated[str, Field(pattern=HM)]
    services: Annotated[list[Annotated[str, Field(pattern=r"^[A-Z]$")]], Field(min_length=1, max_length=26)]
    theme: Annotated[str, Field(max_length=60)] = ""

    @model_validator(mode="after")
    def _order(self) -> _Times:
        if self.depart <= self.arrive:
            raise ValueError(f"离开时间 {self.depart} 应晚于到达时间 {self.arrive} / depart must be after arrive")
        return self


class TemplateVisit(_Times):
    weekday: Annotated[int, Field(ge=0, le=6)]  # 0 = Monday


class AddedSession(_Times):
    """An added session on one day: 错时服务 (extra) or 专场 (themed: a theme is required)."""

    day: date
    kind: Literal["extra", "themed"] = "extra"
    description: Annotated[str, Field(max_length=500)] = ""

    @model_validator(mode="after")
    def _themed_has_theme(self) -> AddedSession:
        if self.kind == "themed" and not self.theme.strip():
            raise ValueError("专场需要主题 / a themed session needs a theme")
        return self


class Cancel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    day: date
    template_id: Annotated[str, Field(max_length=64)] | None = None  # None: the whole day
    reason: Annotated[str, Field(min_length=1, max_length=200)]


def _dumps(v: Any) -> str:
    return json.dumps(v, ensure_ascii=False, separators=(",", ":"))


class RouteCalendar:
    def __init__(self, store: HqStore, stops: Stops, documents: Documents,
                 workdays: Callable[[], WorkCalendar], tz: ZoneInfo):
        """``workdays`` is asked each time, so an edited override file counts without a restart."""
        self.store, self.stops, self.documents, self._workdays, self.tz = store, stops, documents, workdays, tz
        # Visits planned elsewhere that ride in the same schedule document (the hotline's home visits,
        # hq.bookings): publishing the calendar must send them too, or it would drop them from the bus.
        self.extra_visits: Callable[[str, float], list[dict[str, Any]]] = lambda bus, now: []
        store.ensure_schema(SCHEMA)

    @property
    def workdays(self) -> WorkCalendar:
        return self._workdays()

    # --- templates ---------------------------------------------------------------------------------

    def templates(self, bus: str) -> list[dict[str, Any]]:
        rows = self.store.query("SELECT * FROM route_templates WHERE bus = ? ORDER BY weekday, arrive", (bus,))
        return [self._template_row(r) for r in rows]

    def _template_row(self, r: Any) -> dict[str, Any]:
        stop = self.stops.get(r["stop"]) or {}
        return {"id": r["id"], "bus": r["bus"], "weekday": r["weekday"], "weekday_zh": WEEKDAYS[r["weekday"]],
                "stop": r["stop"], "name": stop.get("name_zh", r["stop"]), "arrive": r["arrive"],
                "depart": r["depart"], "services": json.loads(r["services"]), "theme": r["theme"]}

    def add_template(self, bus: str, visit: TemplateVisit, user: str, now: float) -> dict[str, Any]:
        _check_bus(bus)
        self._check_stop(visit.stop)
        for other in self.templates(bus):
            if other["weekday"] == visit.weekday and _overlaps(visit, other):
                raise CalendarError(f"与{WEEKDAYS[visit.weekday]} {other['arrive']}–{other['depart']} 在{other['name']}"
                                    f"的行程重叠 / overlaps the visit {other['arrive']}–{other['depart']} that day")
        ident = uuid.uuid4().hex[:12]
        with self.store.transaction() as c:
            c.execute(self.store.sql(
                "INSERT INTO route_templates(id, bus, weekday, stop, arrive, depart, services, theme, updated_at, "
                "updated_by) VALUES (?,?,?,?,?,?,?,?,?,?)"),
                (ident, bus, visit.weekday, visit.stop, visit.arrive, visit.depart, _dumps(visit.services),
                 visit.theme.strip(), now, user))
        return next(t for t in self.templates(bus) if t["id"] == ident)

    def delete_template(self, bus: str, ident: str) -> None:
        with self.store.transaction() as c:
            cur = c.execute(self.store.sql("DELETE FROM route_templates WHERE bus = ? AND id = ?"), (bus, ident))
            if cur.rowcount != 1:
                raise CalendarError(f"没有这条模板行程 / no such template visit: {ident}")

    # --- exceptions --------------------------------------------------------------------------------

    def add_session(self, bus: str, s: AddedSession, user: str, now: float) -> dict[str, Any]:
        _check_bus(bus)
        self._check_stop(s.stop)
        for other in self.day_plan(bus, s.day)["visits"]:
            if not other["cancelled"] and _overlaps(s, other):
                raise CalendarError(f"{s.day} 与 {other['arrive']}–{other['depart']} 在{other['name']}的行程重叠 / "
                                    f"overlaps the visit {other['arrive']}–{other['depart']} that day")
        return self._insert_exception(bus, s.day, s.kind, None, s, s.theme.strip(), s.description.strip(), "",
                                      user, now)

    def cancel(self, bus: str, body: Cancel, user: str, now: float) -> dict[str, Any]:
        _check_bus(bus)
        if body.template_id is not None:
            plan = self.day_plan(bus, body.day)
            if not any(v["template_id"] == body.template_id for v in plan["visits"]):
                raise CalendarError(f"{body.day} 没有这条定时行程 / that regular visit is not planned on {body.day}")
        kind = "cancel_visit" if body.template_id else "cancel_day"
        return self._insert_exception(bus, body.day, kind, body.template_id, None, "", "", body.reason.strip(),
                                      user, now)

    def _insert_exception(self, bus: str, day: date, kind: str, template_id: str | None, t: _Times | None,
                          theme: str, description: str, reason: str, user: str, now: float) -> dict[str, Any]:
        ident = uuid.uuid4().hex[:12]
        with self.store.transaction() as c:
            c.execute(self.store.sql(
                "INSERT INTO route_exceptions(id, bus, day, kind, template_id, stop, arrive, depart, services, "
                "theme, description, reason, created_at, created_by) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)"),
                (ident, bus, day.isoformat(), kind, template_id, t.stop if t else None, t.arrive if t else None,
                 t.depart if t else None, _dumps(t.services) if t else None, theme, description, reason, now, user))
        return {"id": ident, "bus": bus, "day": day.isoformat(), "kind": kind}

    def delete_exception(self, bus: str, ident: str) -> None:
        with self.store.transaction() as c:
            cur = c.execute(self.store.sql("DELETE FROM route_exceptions WHERE bus = ? AND id = ?"), (bus, ident))
            if cur.rowcount != 1:
                raise CalendarError(f"没有这条调整 / no such exception: {ident}")

    # --- the plan ----------------------------------------------------------------------------------

    def day_plan(self, bus: str, day: date) -> dict[str, Any]:
        return self.plan(bus, day, day)[0]

    def plan(self, bus: str, start: date, end: date) -> list[dict[str, Any]]:
        """Each day from start to end: what the calendar says it is, and the bus's visits (a cancelled
        visit is listed with ``cancelled`` and the reason, so the page can show and undo it)."""
        if (end - start).days > 62 or end < start:
            raise CalendarError("日期范围无效（最多 62 天）/ invalid range (62 days at most)")
        templates = self.templates(bus)
        rows = self.store.query("SELECT * FROM route_exceptions WHERE bus = ? AND day >= ? AND day <= ? "
                                "ORDER BY day, created_at", (bus, start.isoformat(), end.isoformat()))
        by_day: dict[str, list[Any]] = {}
        for r in rows:
            by_day.setdefault(r["day"], []).append(r)
        out = []
        for info in self.workdays.days(start, end):
            exceptions = by_day.get(info.day.isoformat(), [])
            day_off = next((e for e in exceptions if e["kind"] == "cancel_day"), None)
            cancelled = {e["template_id"]: e for e in exceptions if e["kind"] == "cancel_visit"}
            visits = []
            if info.kind != "holiday":
                weekday = (info.works_as or info.day).weekday()
                for t in templates:
                    if t["weekday"] == weekday:
                        why = day_off or cancelled.get(t["id"])
                        visits.append({**_visit(t, "template", t["theme"]), "template_id": t["id"],
                                       "cancelled": why is not None, "reason": why["reason"] if why else "",
                                       "exception_id": why["id"] if why else None})
            for e in exceptions:
                if e["kind"] in ("extra", "themed"):
                    stop = self.stops.get(e["stop"]) or {}
                    v = {"stop": e["stop"], "name": stop.get("name_zh", e["stop"]), "arrive": e["arrive"],
                         "depart": e["depart"], "services": json.loads(e["services"])}
                    visits.append({**_visit(v, e["kind"], e["theme"]), "template_id": None,
                                   "description": e["description"], "cancelled": False, "reason": "",
                                   "exception_id": e["id"]})
            visits.sort(key=lambda v: v["arrive"])
            out.append({**info.as_json(), "weekday": info.day.weekday(), "weekday_zh": WEEKDAYS[info.day.weekday()],
                        "cancelled_day": {"id": day_off["id"], "reason": day_off["reason"]} if day_off else None,
                        "visits": visits})
        return out

    def month(self, bus: str, year: int, month: int) -> list[dict[str, Any]]:
        first = date(year, month, 1)
        last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        return self.plan(bus, first, last)

    # --- publishing --------------------------------------------------------------------------------

    def publish(self, bus: str, start: date, weeks: int, user: str, now: float) -> dict[str, Any]:
        """The bus's schedule from today to ``weeks`` weeks after ``start``, through hq.documents.

        Always from today: the document replaces the bus's whole schedule, so a later ``start`` (to
        reach a holiday months ahead) must not drop the days in between."""
        _check_bus(bus)
        today = datetime.fromtimestamp(now, self.tz).date()
        if start < today:
            raise CalendarError(f"不能从过去的日期发布 / cannot publish from a past day ({start} < {today})")
        if not 1 <= weeks <= MAX_WEEKS:
            raise CalendarError(f"周数应为 1–{MAX_WEEKS} / weeks must be 1–{MAX_WEEKS}")
        end = start + timedelta(days=7 * weeks - 1)
        if (end - today).days >= 7 * MAX_AHEAD_WEEKS:
            raise CalendarError(f"最多发布未来 {MAX_AHEAD_WEEKS} 周 / at most {MAX_AHEAD_WEEKS} weeks ahead")
        days: list[dict[str, Any]] = []
        chunk = today
        while chunk <= end:  # plan() answers 62 days at a time
            days += self.plan(bus, chunk, min(end, chunk + timedelta(days=59)))
            chunk += timedelta(days=60)
        visits, sessions = [], []
        for day in days:
            for v in day["visits"]:
                if v["cancelled"]:
                    continue
                stop = self.stops.get(v["stop"])
                if stop is None:
                    raise CalendarError(f"停靠点已删除 / the stop no longer exists: {v['stop']}")
                d = date.fromisoformat(day["date"])
                arrive, depart = self._ts(d, v["arrive"]), self._ts(d, v["depart"])
                visits.append({"stop": v["stop"], "name": stop["name_zh"], "lat": stop["lat"], "lon": stop["lon"],
                               "radius_m": stop["radius_m"], "arrive": arrive, "depart": depart,
                               "services": v["services"], "theme": v["theme"] or None})
                sessions.append({"date": day["date"], "weekday_zh": day["weekday_zh"], "arrive": v["arrive"],
                                 "depart": v["depart"], "stop": v["stop"], "name": stop["name_zh"],
                                 "name_en": stop["name_en"], "village": stop["village"], "lat": stop["lat"],
                                 "lon": stop["lon"], "services": v["services"], "theme": v["theme"],
                                 "description": v.get("description", ""), "kind": v["kind"],
                                 "kind_zh": v["kind_zh"], "kind_en": v["kind_en"],
                                 "day_kind": day["kind"], "day_name_zh": day["name_zh"]})
        visits = sorted(visits + self.extra_visits(bus, now), key=lambda v: v["arrive"])
        try:
            record = self.documents.publish_document(protocol.SCHEDULE, bus, {"visits": visits}, user, now)
        except ValueError as e:
            raise CalendarError(str(e)) from None
        with self.store.transaction() as c:
            c.execute(self.store.sql(
                "INSERT INTO route_publications(bus, version, start_day, end_day, sessions, published_at, "
                "published_by) VALUES (?,?,?,?,?,?,?)"),
                (bus, record["version"], today.isoformat(), end.isoformat(), _dumps(sessions), now, user))
        return {"bus": bus, "version": record["version"], "from": today.isoformat(), "to": end.isoformat(),
                "visits": len(visits), "sent": record["sent"]}

    def _ts(self, day: date, hm: str) -> float:
        return datetime.combine(day, time.fromisoformat(hm), tzinfo=self.tz).timestamp()

    def publications(self, bus: str) -> list[dict[str, Any]]:
        rows = self.store.query("SELECT bus, version, start_day, end_day, published_at, published_by "
                                "FROM route_publications WHERE bus = ? ORDER BY version DESC LIMIT 20", (bus,))
        return [dict(r) for r in rows]

    # --- public ------------------------------------------------------------------------------------

    def public(self, start: date, end: date, bus: str | None = None, stop: str | None = None) -> dict[str, Any]:
        """What residents see: per stop (grouped by village), the sessions of the latest publication of
        each bus in the range, with themes; and each day's holiday or 调休 mark. No liaison, no phone."""
        if end < start or (end - start).days > 92:
            raise CalendarError("日期范围无效（最多 92 天）/ invalid range (92 days at most)")
        args: tuple = ()
        where = ""
        if bus:
            where, args = " AND p.bus = ?", (bus,)
        rows = self.store.query(
            "SELECT p.bus, p.sessions FROM route_publications p WHERE p.version = (SELECT MAX(version) FROM "
            "route_publications x WHERE x.bus = p.bus)" + where + " ORDER BY p.bus", args)
        stops: dict[str, dict[str, Any]] = {}
        for r in rows:
            for s in json.loads(r["sessions"]):
                if not start.isoformat() <= s["date"] <= end.isoformat() or (stop and s["stop"] != stop):
                    continue
                entry = stops.setdefault(s["stop"], {"stop": s["stop"], "name": s["name"], "name_en": s["name_en"],
                                                     "village": s["village"], "lat": s["lat"], "lon": s["lon"],
                                                     "sessions": []})
                entry["sessions"].append({"bus": r["bus"], **{k: s[k] for k in (
                    "date", "weekday_zh", "arrive", "depart", "services", "theme", "description", "kind",
                    "kind_zh", "kind_en")}})
        for entry in stops.values():
            entry["sessions"].sort(key=lambda s: (s["date"], s["arrive"]))
        marks = [d.as_json() for d in self.workdays.days(start, end) if d.kind in ("holiday", "swap_workday")]
        return {"from": start.isoformat(), "to": end.isoformat(), "days": marks,
                "stops": sorted(stops.values(), key=lambda s: (s["village"], s["name"]))}

    # --- helpers -----------------------------------------------------------------------------------

    def _check_stop(self, stop_id: str) -> None:
        if self.stops.get(stop_id) is None:
            raise CalendarError(f"没有这个停靠点，请先添加 / no such stop (add it first): {stop_id}")

    def stop_in_use(self, stop_id: str) -> bool:
        return bool(self.store.query("SELECT 1 FROM route_templates WHERE stop = ? UNION ALL "
                                     "SELECT 1 FROM route_exceptions WHERE stop = ?", (stop_id, stop_id)))

    def buses(self) -> list[str]:
        rows = self.store.query("SELECT DISTINCT bus FROM route_templates UNION SELECT DISTINCT bus FROM "
                                "route_exceptions UNION SELECT id FROM buses")
        return sorted(r[0] for r in rows)


def _visit(v: dict[str, Any], kind: str, theme: str) -> dict[str, Any]:
    zh, en = KINDS[kind]
    return {"stop": v["stop"], "name": v["name"], "arrive": v["arrive"], "depart": v["depart"],
            "services": v["services"], "theme": theme, "kind": kind, "kind_zh": zh, "kind_en": en,
            "description": v.get("description", "")}


def _overlaps(a: _Times, b: dict[str, Any]) -> bool:
    return a.arrive < b["depart"] and b["arrive"] < a.depart


def _check_bus(bus: str) -> None:
    try:
        protocol.bus_topic(bus, protocol.SCHEDULE)
    except protocol.ProtocolError as e:
        raise CalendarError(f"车辆编号无效 / invalid bus id: {e}") from None
