"""Device health as the owning role last published it (table ``device_health``, migration 5).

Why a table: the role that drives a device is the only process that opens it (a serial line read by
two processes loses replies, a USB interface has one claimant, a network printer counts every
connection). The owner writes the device's condition here when it changes and at least every
``HEARTBEAT_S``; the agent, the crew console and ``ztc devices status`` read it. A row older than
``STALE_AFTER_S`` on the boot clock (which no step of the wall clock moves) says the owner is not
running, in words, rather than repeating an old "ok".
"""
from __future__ import annotations

import json
import time
from typing import Any

from ztc import wallclock
from ztc.db.database import Database

HEARTBEAT_S = 10.0     # the owner rewrites an unchanged row this often (a durable commit each time)
STALE_AFTER_S = 30.0   # three heartbeats missed: the owner is not running (or is stuck)

# Who owns which device, for the words of the stale state.
OWNERS: dict[str, tuple[str, str]] = {
    "ticket_printer": ("号票机状态未更新（前台未运行？）",
                       "ticket printer state not updated (resident kiosk not running?)"),
}


def publish(db: Database, name: str, status: dict[str, Any], owner: str) -> None:
    """Write the owner's ``status`` (``state``, ``detail`` and any figures) as the device's row."""
    state = str(status.get("state") or "error")
    detail = str(status.get("detail") or "")
    data = json.dumps({k: v for k, v in status.items() if k not in ("state", "detail")},
                      ensure_ascii=False, default=str)
    with db.write() as conn:
        conn.execute("INSERT OR REPLACE INTO device_health(name, state, detail, data, owner, updated_at, boot, "
                     "uptime_s) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                     (name, state, detail, data, owner, time.time(), wallclock.boot_id(), wallclock.uptime()))


def stale_status(name: str, age_s: float | None) -> dict[str, Any]:
    """What a reader reports for a device whose owner has not published lately (or ever)."""
    zh, en = OWNERS.get(name, (f"{name} 状态未更新（负责的程序未运行？）",
                               f"{name} state not updated (its owner is not running?)"))
    out: dict[str, Any] = {"state": "offline", "detail": f"{zh} / {en}", "stale": True}
    if age_s is not None:
        out["age_s"] = round(age_s, 1)
    return out


def read(db: Database, names: tuple[str, ...] = tuple(OWNERS), boot: str | None = None,
         uptime: float | None = None) -> dict[str, dict[str, Any]]:
    """``{name: {"state", "detail", …figures, "age_s"}}`` for ``names``: the owner's row while it is
    fresh, ``stale_status`` when it is missing, older than ``STALE_AFTER_S`` or from an earlier boot."""
    boot = boot or wallclock.boot_id()
    uptime = wallclock.uptime() if uptime is None else uptime
    with db.read() as conn:
        rows = {r["name"]: r for r in conn.execute("SELECT * FROM device_health")}
    out: dict[str, dict[str, Any]] = {}
    for name in names:
        row = rows.get(name)
        if row is None:
            out[name] = stale_status(name, None)
            continue
        age = uptime - row["uptime_s"] if row["boot"] == boot else None
        if age is None or age > STALE_AFTER_S or age < -STALE_AFTER_S:
            out[name] = stale_status(name, age)
            continue
        try:
            data = json.loads(row["data"])
        except ValueError:
            data = {}
        out[name] = {**(data if isinstance(data, dict) else {}), "state": row["state"], "detail": row["detail"],
                     "age_s": round(max(0.0, age), 1)}
    return out
