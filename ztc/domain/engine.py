"""QueueEngine: the one door the kiosk, the CLI and the agent use to change the queue.

Each method is one write transaction (BEGIN IMMEDIATE) over the shared database: the change and
its outbox event commit together, and concurrent processes are serialised by SQLite, so two kiosks
issuing at the same instant get different numbers. The rules live in the small modules this class
delegates to; this class only binds them to a database, the settings and a clock.
"""
from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from typing import Any

from ztc.db import Database
from ztc.domain import accepted, appointments, demand, feedback, homevisits, snapshot, tickets, visits, windows
from ztc.domain.context import Ctx
from ztc.domain.errors import QueueError
from ztc.domain.estimate import Estimate, estimate
from ztc.domain.models import Departure, HomeVisitOpened, QueueSnapshot, Ticket, Visit, Window
from ztc.domain.numbering import current_day, queue_day
from ztc.domain.schedule import PlannedVisit, planned_visits
from ztc.settings import Settings
from ztc.text import Text

__all__ = ["Departure", "HomeVisitOpened", "QueueEngine", "QueueError", "QueueSnapshot", "Ticket", "Visit", "Window"]


class QueueEngine:
    def __init__(self, db: Database, settings: Settings, clock: Callable[[], float] = time.time):
        self.db = db
        self.settings = settings
        self.clock = clock

    @contextlib.contextmanager
    def _tx(self) -> Iterator[Ctx]:
        with self.db.write() as conn:
            yield Ctx(conn, self.settings, self.clock())

    @contextlib.contextmanager
    def _ro(self) -> Iterator[Ctx]:
        with self.db.read() as conn:
            yield Ctx(conn, self.settings, self.clock())

    # --- stop visits ---
    def arrive(self, stop_id: str, source: str = "crew") -> Visit:
        with self._tx() as ctx:
            return visits.arrive(ctx, stop_id, source)

    def arrive_adhoc(self, name: str, source: str = "crew") -> Visit:
        with self._tx() as ctx:
            return visits.arrive_adhoc(ctx, name, source)

    def depart(self, source: str = "crew", decision: str | dict[str, str] | None = None) -> Departure:
        """Close the open visit. Without a decision for waiting tickets, the visit stops taking
        tickets ("closing") and QueueError('pending_tickets') lists who still waits."""
        with self._tx() as ctx:
            result = visits.depart(ctx, source, decision)
        if not result.closed and decision is None:
            n = len(result.remaining)
            raise QueueError("pending_tickets",
                             Text(f"还有 {n} 人未办理：请选择先办理、释放或改约",
                                  f"{n} tickets still open: serve, release or rebook them"),
                             remaining=list(result.remaining))
        return result

    def scheduled_stops(self) -> list[dict[str, Any]]:
        """Where the crew may arrive by hand: today's stops from headquarters, then the shipped ones."""
        with self._ro() as ctx:
            return homevisits.scheduled_stops(ctx)

    def home_visits(self) -> list[dict[str, Any]]:
        """Today's home visits (上门服务): address, need, slot, service, code, and the ticket if opened."""
        with self._ro() as ctx:
            return homevisits.day_list(ctx)

    def open_home_visit(self, appointment_id: str, source: str = "crew") -> HomeVisitOpened:
        """Open the home visit's stop and check its appointment in (no kiosk): the ticket then waits
        to be called at a window like any other."""
        with self._tx() as ctx:
            return homevisits.open_home_visit(ctx, appointment_id, source)

    def stay(self) -> Visit:
        """Cancel a pending departure (the visit takes tickets again)."""
        with self._tx() as ctx:
            return visits.stay(ctx)

    def current_visit(self) -> Visit | None:
        with self._ro() as ctx:
            return visits.public(visits.current(ctx))

    def planned(self) -> list[PlannedVisit]:
        with self._ro() as ctx:
            return planned_visits(ctx.conn, self.settings, ctx.now)

    # --- tickets ---
    def issue(self, prefix: str, item: str | None = None, priority: bool = False,
              override_cutoff: bool = False) -> Ticket:
        """Take a number. ``override_cutoff`` is the crew's decision to serve someone although the
        estimate says the bus leaves first (recorded in the event, never the resident's choice).
        A refusal at a stop (not offered, closing, cut-off, cap) is recorded as ``request.refused``."""
        try:
            return self._issue(prefix, item, priority, override_cutoff)
        except QueueError as e:
            if e.code in demand.REFUSED_CODES:
                self.refused(e.code, prefix, item)
            raise

    def refused(self, reason: str, service: str | None, item: str | None = None,
                detail: str | None = None) -> dict[str, Any]:
        """Record a request the bus could not honour (also the kiosk's failed ticket print)."""
        with self._tx() as ctx:
            return demand.record(ctx, reason, service, item, detail)

    def _issue(self, prefix: str, item: str | None, priority: bool, override_cutoff: bool) -> Ticket:
        with self._tx() as ctx:
            visit = visits.current(ctx)
            if visit is None:
                raise QueueError("no_visit", Text("车辆尚未到站，暂不取号", "the bus is not at a stop; no tickets yet"))
            if visit["closing"]:
                raise QueueError("closing", Text("本站即将结束，已停止取号", "this stop is closing; no new tickets"),
                                 later=visits.later_offering(ctx, prefix, ctx.now))
            category = ctx.catalog.category(prefix)
            if item is not None and item not in {i.code for i in category.items}:
                raise QueueError("unknown_item", Text(f"{category.name_zh} 没有这个事项：{item}",
                                                      f"{category.name_en} has no item {item}"))
            offered = visits.public(visit).services
            if prefix not in offered:
                raise QueueError("not_offered", Text(f"本站不办理{category.name_zh}",
                                                     f"{category.name_en} is not offered at this stop"),
                                 later=visits.later_offering(ctx, prefix, ctx.now))
            self._check_cap(ctx, prefix, category)
            if not override_cutoff:
                self._check_cutoff(ctx, visit, prefix, category)
            return tickets.issue(ctx, visit, prefix, item, priority, cutoff_override=override_cutoff)

    def _check_cap(self, ctx: Ctx, prefix: str, category: Any) -> None:
        cap = self.settings.queue.daily_caps.get(prefix)
        if cap is None:
            return
        issued = ctx.conn.execute(
            "SELECT COUNT(*) FROM tickets WHERE prefix = ? AND service_day = ? AND transferred_from IS NULL",
            (prefix, queue_day(ctx))).fetchone()[0]
        if issued >= cap:
            raise QueueError("cap_reached", Text(f"{category.name_zh}今日号已发完（{cap}）",
                                                 f"today's {cap} tickets for {category.name_en} are all taken"),
                             later=visits.later_offering(ctx, prefix, ctx.now))

    def _check_cutoff(self, ctx: Ctx, visit: Any, prefix: str, category: Any) -> None:
        if visit["planned_depart"] is None:
            return
        est = estimate(ctx, prefix)
        deadline = visit["planned_depart"] - self.settings.queue.cutoff_margin_min * 60
        if ctx.now + est.finish_s > deadline:
            raise QueueError("cutoff", Text(f"本站{category.name_zh}已截止取号（车辆即将离开）",
                                            f"{category.name_en} can no longer be served before the bus leaves"),
                             later=visits.later_offering(ctx, prefix, visit["planned_depart"]))

    def estimate(self, prefix: str) -> Estimate:
        with self._ro() as ctx:
            ctx.catalog.category(prefix)
            return estimate(ctx, prefix)

    def check_in(self, code: str | None = None, phone_last4: str | None = None,
                 prefix: str | None = None) -> Ticket:
        """Appointment check-in; the ticket skips the cut-off (the slot was booked)."""
        with self._tx() as ctx:
            visit = visits.current(ctx)
            if visit is None:
                raise QueueError("no_visit", Text("车辆尚未到站，暂不签到", "the bus is not at a stop yet"))
            appt = appointments.find(ctx, code, phone_last4, prefix)
            return appointments.check_in(ctx, visit, appt)

    def replace_appointments(self, items: list[dict[str, Any]]) -> int:
        with self._tx() as ctx:
            return appointments.replace_from_hq(ctx, items)

    def ticket(self, ref: str) -> Ticket:
        with self._ro() as ctx:
            return tickets.public(ctx, tickets.find(ctx, ref))

    def waiting(self) -> list[Ticket]:
        with self._ro() as ctx:
            rows = ctx.conn.execute("SELECT * FROM tickets WHERE state IN ('waiting', 'called', 'serving') "
                                    "ORDER BY order_key").fetchall()
            return [tickets.public(ctx, r) for r in rows]

    def mark_printed(self, ticket_id: str) -> int:
        """Count a print of the ticket; returns how many times it has been printed (>1: a copy)."""
        with self._tx() as ctx:
            tickets.get(ctx, ticket_id)
            ctx.conn.execute("UPDATE tickets SET printed = printed + 1 WHERE id = ?", (ticket_id,))
            return int(tickets.get(ctx, ticket_id)["printed"])

    def record_pages(self, ticket_id: str, scanned: int = 0, printed: int = 0) -> None:
        with self._tx() as ctx:
            tickets.record_pages(ctx, tickets.get(ctx, ticket_id), scanned, printed)

    # --- windows and calling ---
    def open_window(self, number: int, crew: str, skills: list[str]) -> Window:
        with self._tx() as ctx:
            return windows.open_window(ctx, number, crew, skills)

    def close_window(self, number: int) -> None:
        with self._tx() as ctx:
            windows.close_window(ctx, number)

    def pause_window(self, number: int, paused: bool = True) -> Window:
        with self._tx() as ctx:
            return windows.set_paused(ctx, number, paused)

    def windows(self) -> list[Window]:
        with self._ro() as ctx:
            return windows.all_windows(ctx)

    def call_next(self, window: int) -> Ticket | None:
        with self._tx() as ctx:
            return tickets.call_next(ctx, window)

    def recall(self, window: int) -> Ticket:
        with self._tx() as ctx:
            return tickets.recall(ctx, window)

    def serving_ticket(self, window: int) -> Ticket | None:
        with self._ro() as ctx:
            row = tickets.at_window(ctx, window)
            return tickets.public(ctx, row) if row else None

    def _window_ticket(self, ctx: Ctx, window: int) -> Any:
        row = tickets.at_window(ctx, window)
        if row is None:
            raise QueueError("nothing_called", Text(f"{window} 号窗口没有在办的号", f"window {window} has no ticket"))
        return row

    def start(self, window: int) -> Ticket:
        with self._tx() as ctx:
            return tickets.start(ctx, self._window_ticket(ctx, window))

    def complete(self, window: int, item: str, outcome: str, ems_no: str | None = None,
                 case_no: str | None = None, department: str | None = None,
                 promised_date: str | None = None) -> Ticket:
        """``case_no``/``department``/``promised_date``: a 受理's provincial case (all three, only then)."""
        with self._tx() as ctx:
            case = accepted.case_fields(outcome, case_no, department, promised_date, current_day(ctx, persist=False))
            return tickets.complete(ctx, self._window_ticket(ctx, window), item, outcome, ems_no, case)

    def no_show(self, window: int) -> Ticket:
        with self._tx() as ctx:
            return tickets.no_show(ctx, self._window_ticket(ctx, window))

    def transfer(self, ref: str, to_prefix: str) -> Ticket:
        with self._tx() as ctx:
            row = tickets.find(ctx, ref)
            visit = ctx.conn.execute("SELECT * FROM visits WHERE id = ?", (row["visit_id"],)).fetchone()
            return tickets.transfer(ctx, row, visit, to_prefix)

    def cancel(self, ref: str) -> Ticket:
        with self._tx() as ctx:
            return tickets.cancel(ctx, tickets.find(ctx, ref))

    # --- feedback ---
    def rate(self, ref: str, level: int, reasons: list[str] | None = None) -> dict[str, Any]:
        with self._tx() as ctx:
            return feedback.rate(ctx, ref, level, reasons or [])

    def request_callback(self, ref: str, phone: str, consent: bool) -> dict[str, Any]:
        with self._tx() as ctx:
            return feedback.request_callback(ctx, ref, phone, consent)

    def suggest(self, topics: list[str]) -> dict[str, Any]:
        with self._tx() as ctx:
            visit = visits.current(ctx)
            return feedback.suggest(ctx, topics, visit["id"] if visit else None)

    # --- state for screens and telemetry ---
    def snapshot(self) -> QueueSnapshot:
        with self._ro() as ctx:
            return snapshot.queue_payload(ctx)
