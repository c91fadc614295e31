"""The stops headquarters plans visits to (停靠点): name, village, position, geofence radius, and the
village liaison (联络员). The liaison's phone stays at headquarters: it is never in a schedule sent to a
bus nor on a public page, and staff see it masked unless they open it (which is logged)."""
from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from hq.storage import HqStore

if TYPE_CHECKING:
    from hq.audit import Stamp

log = logging.getLogger(__name__)

STOP_ID = r"^[a-z0-9-]{1,64}$"
PHONE = re.compile(r"^[0-9+\- ]{0,20}$")


class StopError(ValueError):
    """A refused stop change (Chinese / English)."""


class StopIn(BaseModel):
    """What the stop form sends."""

    model_config = ConfigDict(extra="forbid")
    name_zh: Annotated[str, Field(min_length=1, max_length=100)]
    name_en: Annotated[str, Field(max_length=100)] = ""
    village: Annotated[str, Field(max_length=100)] = ""   # 乡镇/村 the public calendar groups by
    lat: Annotated[float, Field(ge=-90, le=90)]
    lon: Annotated[float, Field(ge=-180, le=180)]
    radius_m: Annotated[float, Field(gt=5, le=5000)] = 80
    liaison_name: Annotated[str, Field(max_length=40)] = ""
    liaison_phone: Annotated[str, Field(max_length=20)] = ""


def mask_phone(phone: str) -> str:
    digits = re.sub(r"\D", "", phone)
    return f"{digits[:3]}****{digits[-4:]}" if len(digits) >= 8 else ("****" if digits else "")


class Stops:
    def __init__(self, store: HqStore):
        self.store = store

    def get(self, stop_id: str) -> dict[str, Any] | None:
        rows = self.store.query("SELECT * FROM stops WHERE id = ?", (stop_id,))
        return dict(rows[0]) if rows else None

    def listing(self) -> list[dict[str, Any]]:
        """For staff pages: everything but the liaison's phone, which is masked."""
        rows = self.store.query("SELECT * FROM stops ORDER BY village, name_zh, id")
        return [{k: v for k, v in dict(r).items() if k != "liaison_phone"}
                | {"liaison_phone_masked": mask_phone(r["liaison_phone"])} for r in rows]

    def liaison_phone(self, stop_id: str, user: str, stamp: Stamp | None = None) -> str:
        stop = self.get(stop_id)
        if stop is None:
            raise StopError(f"没有这个停靠点 / no such stop: {stop_id}")
        log.info("liaison phone of stop %s opened by %s", stop_id, user)
        if stamp:
            stamp.alone("liaison_phone", f"stop:{stop_id}")
        return str(stop["liaison_phone"])

    def save(self, stop_id: str, body: StopIn, user: str, now: float, stamp: Stamp | None = None) -> dict[str, Any]:
        if not re.match(STOP_ID, stop_id):
            raise StopError(f"编号只能用小写字母、数字和 - / the id may use a–z, 0–9 and - only: {stop_id!r}")
        if not PHONE.match(body.liaison_phone):
            raise StopError("联络员电话只能是数字 / the liaison's phone may hold digits only")
        before = self.get(stop_id)
        with self.store.transaction() as c:
            if stamp:
                stamp.write(c, "stop", f"stop:{stop_id}", _audited(before), _audited(body.model_dump()))
            c.execute(self.store.sql(
                "INSERT INTO stops(id, name_zh, name_en, village, lat, lon, radius_m, liaison_name, liaison_phone, "
                "updated_at, updated_by) VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET "
                "name_zh = excluded.name_zh, name_en = excluded.name_en, village = excluded.village, "
                "lat = excluded.lat, lon = excluded.lon, radius_m = excluded.radius_m, "
                "liaison_name = excluded.liaison_name, liaison_phone = excluded.liaison_phone, "
                "updated_at = excluded.updated_at, updated_by = excluded.updated_by"),
                (stop_id, body.name_zh.strip(), body.name_en.strip(), body.village.strip(), body.lat, body.lon,
                 body.radius_m, body.liaison_name.strip(), body.liaison_phone.strip(), now, user))
        return next(s for s in self.listing() if s["id"] == stop_id)

    def delete(self, stop_id: str, in_use: bool, stamp: Stamp | None = None) -> None:
        if in_use:
            raise StopError("此停靠点仍在行程模板或安排中，请先删除这些行程 / the stop is still planned: "
                            "remove its visits first")
        before = self.get(stop_id)
        with self.store.transaction() as c:
            if stamp:
                stamp.write(c, "stop", f"stop:{stop_id}", _audited(before), None)
            c.execute(self.store.sql("DELETE FROM stops WHERE id = ?"), (stop_id,))


def _audited(stop: dict[str, Any] | None) -> dict[str, Any] | None:
    """A stop as the audit log keeps it: the liaison's phone masked (the log is read by admins)."""
    if stop is None:
        return None
    return {k: v for k, v in stop.items() if k not in ("liaison_phone", "updated_at", "updated_by")} \
        | {"liaison_phone": mask_phone(str(stop.get("liaison_phone", "")))}
