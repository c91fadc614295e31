"""The ticket lifecycle: waiting → called → serving → served, or no-show / transferred / cancelled
(released / rebooked when the bus leaves). Every change writes its event in the same transaction.
"""
from __future__ import annotations

import dataclasses
import secrets
import sqlite3
import uuid
from typing import Any

from ztc.domain import calling
from ztc.domain.context import Ctx, loads
from ztc.domain.errors import QueueError
from ztc.domain.estimate import estimate
from ztc.domain.models import FINAL_STATES, Ticket
from ztc.domain.numbering import next_number, next_order_key, queue_day
from ztc.domain.vocabulary import OUTCOMES
from ztc.text import Text

ACTIVE = ("waiting", "called", "serving")
FINAL = FINAL_STATES


def get(ctx: Ctx, ticket_id: str) -> sqlite3.Row:
    row: sqlite3.Row | None = ctx.conn.execute("SELECT * FROM tickets WHERE id = ?", (ticket_id,)).fetchone()
    if row is None:
        raise QueueError("unknown_ticket", Text(f"没有这张票：{ticket_id}", f"no such ticket: {ticket_id}"))
    return row


def find(ctx: Ctx, ref: str) -> sqlite3.Row:
    """A ticket by id, or by number (A001) on the day the queue counts in (``queue_day``)."""
    row: sqlite3.Row | None = ctx.conn.execute("SELECT * FROM tickets WHERE id = ?", (ref,)).fetchone()
    if row is None:
        row = ctx.conn.execute(
            "SELECT * FROM tickets WHERE number = ? AND service_day = ?", (ref.upper(), queue_day(ctx))
        ).fetchone()
    if row is None:
        raise QueueError("unknown_ticket", Text(f"没有这张票：{ref}", f"no such ticket: {ref}"))
    return row


def new_rate_token() -> str:
    """The ticket's secret for rating from the phone: 128 random bits (``secrets``), so holding one
    ticket's QR says nothing about another's. Not personal data: it names a ticket, not a person."""
    return secrets.token_urlsafe(16)


def public(ctx: Ctx, row: sqlite3.Row) -> Ticket:
    """A ticket as the kiosk, printer and CLI see it, with the stop of its visit."""
    visit = ctx.conn.execute("SELECT stop_id, stop_name FROM visits WHERE id = ?", (row["visit_id"],)).fetchone()
    return Ticket.from_row(row, *((visit[0], visit[1]) if visit else (None, None)))


def _require(row: sqlite3.Row, states: tuple[str, ...], action_zh: str, action_en: str) -> None:
    if row["state"] not in states:
        raise QueueError("wrong_state", Text(f"{row['number']} 当前状态为 {row['state']}，不能{action_zh}",
                                             f"{row['number']} is {row['state']}; cannot {action_en}"),
                         state=row["state"])


def issue(ctx: Ctx, visit: sqlite3.Row, prefix: str, item: str | None, priority: bool,
          appointment_id: str | None = None, transferred_from: sqlite3.Row | None = None,
          cutoff_override: bool = False) -> Ticket:
    """Create a waiting ticket (checks are the caller's: engine.issue).

    Its service day is its visit's (see ``numbering``): past midnight an evening session keeps counting.
    """
    est = estimate(ctx, prefix)
    day = str(visit["service_day"])
    _, number = next_number(ctx, prefix, day)
    ticket_id = str(uuid.uuid4())
    rate_token = new_rate_token()
    order_key = transferred_from["order_key"] if transferred_from is not None else next_order_key(ctx)
    issued_at = transferred_from["issued_at"] if transferred_from is not None else ctx.now
    ctx.conn.execute(
        "INSERT INTO tickets(id, number, prefix, service_day, visit_id, item, priority, appointment_id, "
        "transferred_from, order_key, issued_at, state, rate_token) VALUES (?,?,?,?,?,?,?,?,?,?,?, 'waiting', ?)",
        (ticket_id, number, prefix, day, visit["id"], item, int(priority), appointment_id,
         transferred_from["id"] if transferred_from is not None else None, order_key, issued_at, rate_token),
    )
    ctx.emit("ticket.issued", {
        "ticket_id": ticket_id, "number": number, "service": prefix, "item": item, "priority": priority,
        "appointment_id": appointment_id, "visit_id": visit["id"], "stop": visit["stop_id"],
        "issued_at": issued_at, "ahead": est.ahead, "est_wait_s": round(est.wait_s, 1),
        "transferred_from": transferred_from["id"] if transferred_from is not None else None,
        "rate_token": rate_token,
        **({"cutoff_override": True} if cutoff_override else {}),
    })
    return dataclasses.replace(public(ctx, get(ctx, ticket_id)), ahead=est.ahead, est_wait_s=est.wait_s)


def window_row(ctx: Ctx, number: int) -> sqlite3.Row:
    row: sqlite3.Row | None = ctx.conn.execute("SELECT * FROM windows WHERE number = ?", (number,)).fetchone()
    if row is None or not row["open"]:
        raise QueueError("window_closed", Text(f"{number} 号窗口未开启", f"window {number} is not open"))
    return row


def at_window(ctx: Ctx, number: int) -> sqlite3.Row | None:
    """The ticket a window is busy with (called or serving), if any."""
    row: sqlite3.Row | None = ctx.conn.execute(
        "SELECT * FROM tickets WHERE window = ? AND state IN ('called', 'serving')", (number,)
    ).fetchone()
    return row


def call_next(ctx: Ctx, number: int) -> Ticket | None:
    win = window_row(ctx, number)
    if win["paused"]:
        raise QueueError("window_paused", Text(f"{number} 号窗口暂停中", f"window {number} is paused"))
    busy = at_window(ctx, number)
    if busy is not None:
        raise QueueError("window_busy", Text(f"{number} 号窗口还有 {busy['number']} 未办完",
                                             f"window {number} still has {busy['number']}"), ticket=busy["number"])
    rows = ctx.conn.execute(
        "SELECT t.id, t.prefix, t.priority, t.order_key, a.slot_start FROM tickets t "
        "LEFT JOIN appointments a ON a.id = t.appointment_id WHERE t.state = 'waiting'"
    ).fetchall()
    cands = [calling.Candidate(r[0], r[1], bool(r[2]), r[3], r[4]) for r in rows]
    early_s = ctx.settings.queue.appointment_early_min * 60
    choice = calling.choose_next(cands, set(loads(win["skills"])), win["normal_run"],
                                 ctx.settings.queue.priority_ratio, ctx.now, early_s)
    if choice is None:
        return None
    ctx.conn.execute("UPDATE windows SET normal_run = ? WHERE number = ?", (choice.normal_run, number))
    ctx.conn.execute(
        "UPDATE tickets SET state = 'called', calls = 1, called_at = ?, window = ?, crew = ? WHERE id = ?",
        (ctx.now, number, win["crew"], choice.ticket_id),
    )
    row = get(ctx, choice.ticket_id)
    ctx.emit("ticket.called", {"ticket_id": row["id"], "number": row["number"], "window": number,
                               "crew": win["crew"], "call_count": 1, "reason": choice.reason})
    return public(ctx, row)


def recall(ctx: Ctx, number: int) -> Ticket:
    """Call the window's ticket again; past the configured number of calls it becomes a no-show."""
    row = at_window(ctx, number)
    if row is None or row["state"] != "called":
        raise QueueError("nothing_called", Text(f"{number} 号窗口没有待到号", f"window {number} has no called ticket"))
    if row["calls"] >= ctx.settings.queue.no_show_after_calls:
        return no_show(ctx, row)
    ctx.conn.execute("UPDATE tickets SET calls = calls + 1, called_at = ? WHERE id = ?", (ctx.now, row["id"]))
    ctx.emit("ticket.called", {"ticket_id": row["id"], "number": row["number"], "window": number,
                               "crew": row["crew"], "call_count": row["calls"] + 1, "reason": "recall"})
    return public(ctx, get(ctx, row["id"]))


def start(ctx: Ctx, row: sqlite3.Row) -> Ticket:
    _require(row, ("called",), "开始办理", "start serving")
    ctx.conn.execute("UPDATE tickets SET state = 'serving', started_at = ? WHERE id = ?", (ctx.now, row["id"]))
    ctx.emit("ticket.started", {"ticket_id": row["id"], "number": row["number"], "window": row["window"]})
    return public(ctx, get(ctx, row["id"]))


def complete(ctx: Ctx, row: sqlite3.Row, item: str, outcome: str, ems_no: str | None,
             case: dict[str, Any] | None = None) -> Ticket:
    """Finish a ticket with its service record (ticket.served carries the record; ``case``: the
    checked 受理 fields of ``accepted.case_fields``)."""
    _require(row, ("called", "serving"), "办结", "complete")
    ctx.catalog.item(item)  # any catalog item: the matter may turn out to belong to another service
    if outcome not in OUTCOMES:
        raise QueueError("unknown_outcome", Text(f"办理结果无效：{outcome}", f"unknown outcome: {outcome}"),
                         choices=sorted(OUTCOMES))
    if ems_no is not None and not (ems_no.isalnum() and 8 <= len(ems_no) <= 20):
        raise QueueError("bad_ems", Text(f"EMS 单号格式不对：{ems_no}", f"EMS number looks wrong: {ems_no}"))
    started = row["started_at"] if row["started_at"] is not None else row["called_at"]
    wait_s = max(0.0, row["called_at"] - row["issued_at"])
    service_s = max(0.0, ctx.now - started)
    record = {"ticket_id": row["id"], "number": row["number"], "service": row["prefix"], "item": item,
              "outcome": outcome, "window": row["window"], "crew": row["crew"], "wait_s": round(wait_s, 1),
              "service_s": round(service_s, 1), "pages_scanned": row["pages_scanned"],
              "pages_printed": row["pages_printed"], "ems_no": ems_no, "priority": bool(row["priority"]),
              "appointment_id": row["appointment_id"], "visit_id": row["visit_id"], **(case or {})}
    ctx.conn.execute("UPDATE tickets SET state = 'served', ended_at = ?, started_at = ? WHERE id = ?",
                     (ctx.now, started, row["id"]))
    seq = ctx.emit("ticket.served", record)
    ctx.conn.execute(
        "INSERT INTO records(ticket_id, prefix, item, outcome, window, crew, wait_s, service_s, pages_scanned, "
        "pages_printed, ems_no, ts, event_seq) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (row["id"], row["prefix"], item, outcome, row["window"], row["crew"], wait_s, service_s,
         row["pages_scanned"], row["pages_printed"], ems_no, ctx.now, seq),
    )
    return public(ctx, get(ctx, row["id"]))


def end(ctx: Ctx, row: sqlite3.Row, state: str, event: str, from_states: tuple[str, ...],
        extra: dict[str, Any] | None = None) -> Ticket:
    """Move a ticket to a final state other than served."""
    _require(row, from_states, state, state.replace("_", "-"))
    ctx.conn.execute("UPDATE tickets SET state = ?, ended_at = ? WHERE id = ?", (state, ctx.now, row["id"]))
    ctx.emit(event, {"ticket_id": row["id"], "number": row["number"], "service": row["prefix"],
                     "window": row["window"], **(extra or {})})
    return public(ctx, get(ctx, row["id"]))


def no_show(ctx: Ctx, row: sqlite3.Row) -> Ticket:
    return end(ctx, row, "no_show", "ticket.no_show", ("called",), {"calls": row["calls"]})


def cancel(ctx: Ctx, row: sqlite3.Row) -> Ticket:
    return end(ctx, row, "cancelled", "ticket.cancelled", ("waiting", "called"))


def transfer(ctx: Ctx, row: sqlite3.Row, visit: sqlite3.Row, to_prefix: str) -> Ticket:
    """End this ticket as transferred and issue one in ``to_prefix`` keeping its place in time."""
    ctx.catalog.category(to_prefix)
    if to_prefix == row["prefix"]:
        raise QueueError("same_service", Text("转入的是同一项服务", "transfer to the same service"))
    _require(row, ACTIVE, "转办", "transfer")
    new = issue(ctx, visit, to_prefix, None, bool(row["priority"]), row["appointment_id"], transferred_from=row)
    end(ctx, row, "transferred", "ticket.transferred", ACTIVE,
        {"to_service": to_prefix, "new_ticket_id": new.id, "new_number": new.number})
    return new


def record_pages(ctx: Ctx, row: sqlite3.Row, scanned: int, printed: int) -> None:
    if scanned < 0 or printed < 0:
        raise QueueError("bad_pages", Text("页数不能为负", "page counts cannot be negative"))
    ctx.conn.execute("UPDATE tickets SET pages_scanned = pages_scanned + ?, pages_printed = pages_printed + ? "
                     "WHERE id = ?", (scanned, printed, row["id"]))
