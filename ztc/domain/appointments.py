"""Appointments: hotline bookings and special-needs visits pushed by headquarters, and rebookings
made on the bus when it has to leave before serving someone.

Only masked names and the last four phone digits are ever stored here (PROTOCOL.md privacy).
Check-in is by the 6-digit code, or by the last four phone digits plus the service, and issues a
ticket marked as an appointment.
"""
from __future__ import annotations

import secrets
import sqlite3
import uuid
from typing import Any

from ztc.domain import tickets
from ztc.domain.context import Ctx
from ztc.domain.errors import QueueError
from ztc.domain.models import Ticket
from ztc.domain.schedule import planned_visits
from ztc.text import Text


def _new_code(ctx: Ctx) -> str:
    while True:
        code = f"{secrets.randbelow(10**6):06d}"
        if ctx.conn.execute("SELECT 1 FROM appointments WHERE code = ? AND ticket_id IS NULL",
                            (code,)).fetchone() is None:
            return code


def replace_from_hq(ctx: Ctx, items: list[dict[str, Any]]) -> int:
    """Replace headquarters' appointments not yet checked in with ``items`` (already validated)."""
    ctx.conn.execute("DELETE FROM appointments WHERE source = 'hq' AND ticket_id IS NULL")
    checked = {r[0] for r in ctx.conn.execute("SELECT id FROM appointments WHERE ticket_id IS NOT NULL")}
    n = 0
    for it in items:
        if it["id"] in checked:
            continue
        ctx.catalog.category(it["service"])
        ctx.conn.execute(
            "INSERT INTO appointments(id, code, prefix, stop, slot_start, slot_end, name_masked, phone_last4, "
            "needs, source) VALUES (?,?,?,?,?,?,?,?,?, 'hq')",
            (it["id"], it["code"], it["service"], it.get("stop"), float(it["slot_start"]), float(it["slot_end"]),
             it.get("name_masked", ""), it.get("phone_last4", ""), it.get("needs", "")),
        )
        n += 1
    return n


def find(ctx: Ctx, code: str | None, phone_last4: str | None, prefix: str | None) -> sqlite3.Row:
    rows: list[sqlite3.Row]
    if code:
        if not (code.isdigit() and len(code) == 6):
            raise QueueError("bad_code", Text("预约码是 6 位数字", "the appointment code has 6 digits"))
        rows = ctx.conn.execute("SELECT * FROM appointments WHERE code = ? ORDER BY slot_start", (code,)).fetchall()
    elif phone_last4 and prefix:
        if not (phone_last4.isdigit() and len(phone_last4) == 4):
            raise QueueError("bad_phone", Text("请输入手机号后 4 位", "enter the last 4 digits of the phone number"))
        rows = ctx.conn.execute("SELECT * FROM appointments WHERE phone_last4 = ? AND prefix = ? ORDER BY slot_start",
                                (phone_last4, prefix)).fetchall()
    else:
        raise QueueError("need_code", Text("请输入预约码，或手机后 4 位和服务",
                                           "enter the code, or phone digits and service"))
    open_rows = [r for r in rows if r["ticket_id"] is None]
    if not rows:
        raise QueueError("no_appointment", Text("没有找到预约", "no appointment found"))
    if not open_rows:
        number = ctx.conn.execute("SELECT number FROM tickets WHERE id = ?", (rows[0]["ticket_id"],)).fetchone()
        raise QueueError("already_checked_in", Text(f"已签到，号码 {number[0] if number else ''}",
                                                    f"already checked in as {number[0] if number else ''}"))
    return min(open_rows, key=lambda r: abs(r["slot_start"] - ctx.now))


def check_in(ctx: Ctx, visit: sqlite3.Row, appt: sqlite3.Row) -> Ticket:
    if appt["stop"] and appt["stop"] != visit["stop_id"]:
        raise QueueError("wrong_stop", Text(f"该预约在其他站点：{appt['stop']}",
                                            f"this appointment is for stop {appt['stop']}"),
                         stop=appt["stop"], slot_start=appt["slot_start"])
    ticket = tickets.issue(ctx, visit, appt["prefix"], None, False, appointment_id=appt["id"])
    ctx.conn.execute("UPDATE appointments SET ticket_id = ?, checked_in_at = ? WHERE id = ?",
                     (ticket.id, ctx.now, appt["id"]))
    ctx.emit("appointment.checked_in", {"appointment_id": appt["id"], "ticket_id": ticket.id,
                                        "number": ticket.number, "service": appt["prefix"],
                                        "slot_start": appt["slot_start"],
                                        "late_s": round(ctx.now - appt["slot_start"], 1)})
    return ticket


def rebook(ctx: Ctx, row: sqlite3.Row, visit: sqlite3.Row) -> dict[str, Any]:
    """Turn a waiting ticket into an appointment at the next planned visit offering its service."""
    later = [v for v in planned_visits(ctx.conn, ctx.settings, ctx.now)
             if v.arrive > ctx.now and row["prefix"] in v.services and not (
                 v.stop == visit["stop_id"] and v.arrive <= ctx.now)]
    if not later:
        raise QueueError("no_later_visit", Text(f"{row['number']} 的服务在后续行程中没有安排",
                                                f"no later visit offers {row['prefix']} for {row['number']}"),
                         ticket=row["number"])
    v = later[0]
    appt = {"id": str(uuid.uuid4()), "code": _new_code(ctx), "stop": v.stop, "slot_start": v.arrive,
            "slot_end": v.depart}
    ctx.conn.execute(
        "INSERT INTO appointments(id, code, prefix, stop, slot_start, slot_end, source, from_ticket) "
        "VALUES (?,?,?,?,?,?, 'rebooked', ?)",
        (appt["id"], appt["code"], row["prefix"], v.stop, v.arrive, v.depart, row["id"]),
    )
    return appt
