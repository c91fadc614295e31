"""The kiosk of the service-day scenario, driven as its screens drive it, as its own process.

Why a process of its own: the scenario kills it with SIGKILL in the middle of a stop, and a real
kiosk restarts from the shared database alone. So nothing here is kept that the database does not
also know: on (re)start the driver rebuilds which resident holds which ticket from the tickets of
the open visit (one ticket per arrival, in queue-order), resumes each window from what it has
called, and reprints as a copy every waiting ticket that was never confirmed printed.

It plays both screens: the resident screen (take a number or check in an appointment, then the
ticket printer driver prints it) and the crew console of three windows (call, recall until no-show,
start, complete with a service record, transfer, rating). When everyone at a stop has been served
it writes ``<done-dir>/<visit id>`` so the test lets the bus drive on.

    python -m tests.scenario.kiosk_driver --config ztc.yaml --plan plan.json --done-dir done/
"""
from __future__ import annotations

import argparse
import logging
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from drivers.registry import open_ticket_printer
from drivers.ticket_printer import TicketContent
from drivers.ticket_printer.jobs import PrintJob
from tests.scenario.plan import ITEMS, WINDOWS, DayPlan, Resident
from ztc.db import open_database
from ztc.domain.engine import QueueEngine, QueueError, Ticket, Visit
from ztc.settings import Settings, load_settings

log = logging.getLogger("kiosk-driver")

TICK_S = 0.01
STATUS_EVERY_S = 0.2      # how often the crew looks at the printer while tickets wait for a reprint
REASONS = {2: ["efficiency"], 1: ["competence", "attitude"]}


@dataclass
class Desk:
    """What one window is doing: the ticket it called and when the next step is due (real time)."""

    ticket_id: str
    phase: str            # called | serving
    due: float
    resident: Resident | None
    original: bool        # the resident's first ticket (a transferred one is served, not moved again)


class KioskDriver:
    def __init__(self, settings: Settings, plan: DayPlan, done_dir: Path):
        self.settings = settings
        self.plan = plan
        self.done_dir = done_dir
        self.db = open_database(settings.db_path)
        self.engine = QueueEngine(self.db, settings)
        self.printer = open_ticket_printer(settings, poll_interval_s=None)
        self.jobs: list[PrintJob] = []
        self.unprinted: set[str] = set()
        self.visit_id: str | None = None
        self.residents: list[Resident] = []
        self.opened_at = 0.0
        self.next_index = 0
        self.resident_of: dict[str, tuple[Resident, bool]] = {}
        self.cancel_at: dict[str, float] = {}
        self.desks: dict[int, Desk | None] = {}
        self._status_at = 0.0

    @property
    def minute_s(self) -> float:
        return self.plan.minute_s

    # --- the loop --------------------------------------------------------------------------------

    def run(self, stop: list[bool]) -> None:
        for number, skills in WINDOWS.items():
            self.engine.open_window(number, f"crew-{number}", skills)
        while not stop:
            visit = self.engine.current_visit()
            if visit is None or visit.closing or visit.stop_id not in {r.stop for r in self.plan.residents}:
                time.sleep(0.05)
                continue
            if visit.id != self.visit_id:
                self._enter(visit)
            now = time.time()
            self._arrivals(now)
            self._collect_jobs()
            self._reprint_when_refilled(now)
            self._cancellations(now)
            for number in WINDOWS:
                self._desk(number, now)
            if self._stop_finished():
                (self.done_dir / str(self.visit_id)).touch()
            time.sleep(TICK_S)

    def close(self) -> None:
        self.printer.close()
        self.db.close()

    # --- arriving at a stop (or restarting at one) ------------------------------------------------

    def _enter(self, visit: Visit) -> None:
        self.visit_id, self.opened_at = visit.id, float(visit.opened_at)
        self.residents = self.plan.at(visit.stop_id)
        with self.db.read() as conn:
            rows = conn.execute("SELECT id, transferred_from, state, printed FROM tickets WHERE visit_id = ? "
                                "ORDER BY order_key, transferred_from IS NOT NULL", (self.visit_id,)).fetchall()
        firsts = [r for r in rows if r["transferred_from"] is None]
        self.next_index = len(firsts)
        self.resident_of = {r["id"]: (res, True) for r, res in zip(firsts, self.residents, strict=False)}
        for r in rows:
            if r["transferred_from"] is not None and r["transferred_from"] in self.resident_of:
                self.resident_of[r["id"]] = (self.resident_of[r["transferred_from"]][0], False)
        self.desks = {n: self._resume_desk(n) for n in WINDOWS}
        unconfirmed = [r["id"] for r in rows if r["printed"] == 0 and r["state"] in ("waiting", "called", "serving")]
        if unconfirmed:
            log.warning("重启后补打未确认的号票（副本）/ reprinting unconfirmed tickets as copies after a restart: %d",
                        len(unconfirmed))
            self.unprinted.update(unconfirmed)
        log.info("visit %s at %s: %d of %d residents already have tickets", self.visit_id, visit.stop_id,
                 self.next_index, len(self.residents))

    def _resume_desk(self, number: int) -> Desk | None:
        t = self.engine.serving_ticket(number)
        if t is None:
            return None
        resident, original = self.resident_of.get(t.id, (None, False))
        return Desk(t.id, t.state, time.time(), resident, original)

    # --- the resident screen --------------------------------------------------------------------

    def _arrivals(self, now: float) -> None:
        while self.next_index < len(self.residents):
            r = self.residents[self.next_index]
            if self.opened_at + r.at_min * self.minute_s > now:
                return
            self.next_index += 1
            try:
                ticket = (self.engine.check_in(code=r.appointment) if r.appointment
                          else self.engine.issue(r.service, r.item, r.priority))
            except QueueError as e:
                log.warning("resident refused: %s / %s", e.zh, e.en)
                continue
            self.resident_of[ticket.id] = (r, True)
            self._print(ticket, copy=False)
            if r.behaviour == "cancel":
                self.cancel_at[ticket.id] = now + 2 * self.minute_s

    def _print(self, ticket: Ticket, copy: bool) -> None:
        self.jobs.append(self.printer.submit(TicketContent.from_ticket(ticket, self.settings, copy=copy)))

    def _collect_jobs(self) -> None:
        for job in [j for j in self.jobs if j.finished]:
            self.jobs.remove(job)
            assert job.ticket_id is not None
            if job.state == "done":
                self.engine.mark_printed(job.ticket_id)
            else:
                log.warning("号票未打印 / ticket not printed: %s: %s", job.label, job.error)
                self.unprinted.add(job.ticket_id)

    def _reprint_when_refilled(self, now: float) -> None:
        """The crew reprints failed tickets as copies once the printer says it has paper again."""
        if not self.unprinted or self.jobs or now - self._status_at < STATUS_EVERY_S:
            return
        self._status_at = now
        status = self.printer.refresh_status(timeout=2.0)
        if status.get("paper") not in ("ok", "near_end"):
            return
        for ticket_id in sorted(self.unprinted):
            self._print(self.engine.ticket(ticket_id), copy=True)
        log.info("补打 %d 张号票（副本）/ reprinted %d tickets as copies", len(self.unprinted), len(self.unprinted))
        self.unprinted.clear()

    def _cancellations(self, now: float) -> None:
        for ticket_id, at in list(self.cancel_at.items()):
            if now < at:
                continue
            del self.cancel_at[ticket_id]
            if self.engine.ticket(ticket_id).state == "waiting":
                self.engine.cancel(ticket_id)

    # --- the crew console -----------------------------------------------------------------------

    def _desk(self, number: int, now: float) -> None:
        desk = self.desks.get(number)
        try:
            if desk is None:
                t = self.engine.call_next(number)
                if t is not None:
                    resident, original = self.resident_of.get(t.id, (None, False))
                    self.desks[number] = Desk(t.id, "called", now + 0.5 * self.minute_s, resident, original)
            elif now >= desk.due:
                self._step(number, desk, now)
        except QueueError as e:
            log.warning("window %d: %s / %s; re-reading the window", number, e.zh, e.en)
            self.desks[number] = self._resume_desk(number)

    def _step(self, number: int, desk: Desk, now: float) -> None:
        r = desk.resident
        if desk.phase == "called":
            if r is not None and desk.original and r.behaviour == "no_show":
                t = self.engine.recall(number)
                self.desks[number] = None if t.state == "no_show" else desk
                desk.due = now + self.minute_s
                return
            self.engine.start(number)
            desk.phase = "serving"
            minutes = r.service_min if r is not None else 1.0
            desk.due = now + minutes * self.minute_s * (0.5 if r and desk.original and r.behaviour == "transfer" else 1)
            return
        if r is not None and desk.original and r.behaviour == "transfer" and r.transfer_to:
            new = self.engine.transfer(desk.ticket_id, r.transfer_to)
            self.resident_of[new.id] = (r, False)
            self._print(new, copy=False)
            self.desks[number] = None
            return
        ticket = self.engine.ticket(desk.ticket_id)
        prefix = ticket.prefix
        item = r.item if r is not None and r.item[0] == prefix else ITEMS[prefix][0]
        self.engine.complete(number, item, "consulted" if prefix == "F" else "completed")
        self.desks[number] = None
        if r is not None and r.rating is not None:
            self.engine.rate(desk.ticket_id, r.rating, REASONS.get(r.rating, []))

    def _stop_finished(self) -> bool:
        if self.next_index < len(self.residents) or self.cancel_at or self.unprinted or self.jobs:
            return False
        if any(self.desks.values()):
            return False
        with self.db.read() as conn:
            return conn.execute("SELECT COUNT(*) FROM tickets WHERE visit_id = ? AND state IN "
                                "('waiting', 'called', 'serving')", (self.visit_id,)).fetchone()[0] == 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tests.scenario.kiosk_driver", description=__doc__)
    p.add_argument("--config", type=Path, required=True)
    p.add_argument("--plan", type=Path, required=True)
    p.add_argument("--done-dir", type=Path, required=True)
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    driver = KioskDriver(load_settings(args.config, environ={}), DayPlan.load(args.plan), args.done_dir)
    stop: list[bool] = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
    try:
        driver.run(stop)
    finally:
        driver.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
