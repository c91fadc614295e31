"""Property-based tests of the queue engine's invariants (hypothesis, stateful).

Random sequences of what kiosks and crew do — issue, call, recall, start, complete, no-show,
transfer, cancel, pause, time passing — and after every step:
- no number is handed out twice in a service day, and each prefix counts 1, 2, 3 … without gaps;
- every ticket is in exactly one state; a final state never changes again; each final state has
  exactly one final event in the outbox, and every change has its event;
- within a class (same service, same priority, not an appointment) tickets are called in order;
- a window never calls more than ``priority_ratio`` normal tickets in a row while a priority one waits.
"""
from __future__ import annotations

import contextlib
import tempfile
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from tests.support import FakeClock, make_settings
from ztc.db import open_database, outbox
from ztc.domain.engine import QueueEngine, QueueError

PREFIXES = ["A", "B", "D"]
FINAL_EVENTS = {"ticket.served": "served", "ticket.no_show": "no_show", "ticket.transferred": "transferred",
                "ticket.cancelled": "cancelled", "ticket.released": "released", "ticket.rebooked": "rebooked"}
RATIO = 2


class QueueMachine(RuleBasedStateMachine):
    @initialize(ratio=st.sampled_from([0, 1, 2, 3]))
    def setup(self, ratio: int) -> None:
        # tmpfs when there is one: thousands of fsyncs (synchronous=FULL) would make this slow, and
        # durability is not what this test is about.
        self.dir = tempfile.TemporaryDirectory(dir="/dev/shm" if Path("/dev/shm").is_dir() else None)
        self.ratio = ratio
        cfg = make_settings(Path(self.dir.name), QUEUE__PRIORITY_RATIO=str(ratio), QUEUE__NO_SHOW_AFTER_CALLS="2")
        self.clock = FakeClock()
        self.engine = QueueEngine(open_database(cfg.db_path), cfg, self.clock)
        self.engine.arrive_adhoc("性质测试点")
        self.engine.open_window(1, "c1", ["A", "B"])
        self.engine.open_window(2, "c2", ["B", "D"])
        self.final: dict[str, str] = {}
        self.runs = {1: ratio, 2: ratio}  # normal calls since the window's last priority call

    def teardown(self) -> None:
        if hasattr(self, "engine"):
            self.engine.db.close()
            self.dir.cleanup()

    def _rows(self, sql: str = "SELECT * FROM tickets", args: tuple = ()) -> list:
        with self.engine.db.read() as conn:
            return [dict(r) for r in conn.execute(sql, args).fetchall()]

    @rule(prefix=st.sampled_from(PREFIXES), priority=st.booleans())
    def issue(self, prefix: str, priority: bool) -> None:
        self.engine.issue(prefix, priority=priority)

    @rule(seconds=st.integers(1, 900))
    def time_passes(self, seconds: int) -> None:
        self.clock.advance(seconds)

    @rule(window=st.sampled_from([1, 2]))
    def call(self, window: int) -> None:
        skills = {1: {"A", "B"}, 2: {"B", "D"}}[window]
        waiting = [r for r in self._rows("SELECT * FROM tickets WHERE state = 'waiting'") if r["prefix"] in skills]
        try:
            t = self.engine.call_next(window)
        except QueueError as e:
            assert e.code in ("window_busy", "window_paused")
            return
        if t is None:
            assert not waiting
            return
        same_class = [r for r in waiting if r["prefix"] == t.prefix and bool(r["priority"]) == t.priority]
        assert t.order_key == min(r["order_key"] for r in same_class), "called out of order within its class"
        prio_waiting = any(r["priority"] for r in waiting)
        if t.priority:
            self.runs[window] = 0
        else:
            if prio_waiting:
                assert self.runs[window] < self.ratio, "too many normal calls while a priority ticket waited"
            self.runs[window] += 1

    @rule(window=st.sampled_from([1, 2]))
    def call_and_finish(self, window: int) -> None:
        """A whole service in one step, so long runs of calls happen often."""
        self.complete(window, "completed")
        self.call(window)
        self.complete(window, "completed")

    @rule(window=st.sampled_from([1, 2]))
    def recall(self, window: int) -> None:
        try:
            t = self.engine.recall(window)
        except QueueError:
            return
        if t.state == "no_show":
            self.final[t.id] = "no_show"

    @rule(window=st.sampled_from([1, 2]))
    def start(self, window: int) -> None:
        with contextlib.suppress(QueueError):
            self.engine.start(window)

    @rule(window=st.sampled_from([1, 2]), outcome=st.sampled_from(["completed", "consulted"]))
    def complete(self, window: int, outcome: str) -> None:
        try:
            t = self.engine.complete(window, "B01", outcome)
        except QueueError:
            return
        self.final[t.id] = "served"

    @rule(window=st.sampled_from([1, 2]))
    def no_show(self, window: int) -> None:
        try:
            t = self.engine.no_show(window)
        except QueueError:
            return
        self.final[t.id] = "no_show"

    @rule(data=st.data(), to=st.sampled_from(PREFIXES))
    def transfer(self, data: st.DataObject, to: str) -> None:
        open_ = self._rows("SELECT * FROM tickets WHERE state IN ('waiting', 'called', 'serving')")
        if not open_:
            return
        t = data.draw(st.sampled_from(open_))
        try:
            self.engine.transfer(t["id"], to)
        except QueueError as e:
            assert e.code == "same_service"
            return
        self.final[t["id"]] = "transferred"

    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        rows = self._rows()
        if not rows:
            return
        t = data.draw(st.sampled_from(rows))
        try:
            self.engine.cancel(t["id"])
        except QueueError:
            assert t["state"] not in ("waiting", "called")
            return
        self.final[t["id"]] = "cancelled"

    @rule(window=st.sampled_from([1, 2]), paused=st.booleans())
    def pause(self, window: int, paused: bool) -> None:
        self.engine.pause_window(window, paused)

    @invariant()
    def numbers_unique_and_gapless(self) -> None:
        if not hasattr(self, "engine"):
            return
        rows = self._rows()
        keys = [(r["service_day"], r["number"]) for r in rows]
        assert len(keys) == len(set(keys))
        by_prefix: dict[tuple, list[int]] = {}
        for r in rows:
            by_prefix.setdefault((r["service_day"], r["prefix"]), []).append(int(r["number"][1:]))
        for nums in by_prefix.values():
            assert sorted(nums) == list(range(1, len(nums) + 1))

    @invariant()
    def one_final_state_each(self) -> None:
        if not hasattr(self, "engine"):
            return
        rows = {r["id"]: r for r in self._rows()}
        for tid, state in self.final.items():
            assert rows[tid]["state"] == state, "a final state changed"
        with self.engine.db.read() as conn:
            evs = outbox.pending(conn, 0, 10**6)
        finals = Counter(e.data["ticket_id"] for e in evs if e.type in FINAL_EVENTS)
        issued = Counter(e.data["ticket_id"] for e in evs if e.type == "ticket.issued")
        for tid, r in rows.items():
            assert issued[tid] == 1
            final = r["state"] not in ("waiting", "called", "serving")
            assert finals[tid] == (1 if final else 0)
            if final:
                kind = next(e.type for e in evs if e.type in FINAL_EVENTS and e.data["ticket_id"] == tid)
                assert FINAL_EVENTS[kind] == r["state"]
        seqs = [e.seq for e in evs]
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)


QueueMachine.TestCase.settings = settings(max_examples=60, stateful_step_count=40, deadline=None,
                                          suppress_health_check=[HealthCheck.too_slow])
TestQueueInvariants = QueueMachine.TestCase
