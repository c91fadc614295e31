"""Which waiting ticket a window calls next — a pure function, so its rules are easy to test.

1. Checked-in appointments that are due (slot start minus the early allowance has passed),
   earliest slot first.
2. Priority tickets (绿色通道) interleaved with normal ones: while both wait, a window calls one
   priority ticket after at most ``ratio`` normal ones — not "priority always first", which would
   starve the normal line on a busy day. ``ratio`` 0 means priority first.
3. Otherwise the longest-waiting ticket among the window's skills (lowest order key).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Candidate:
    ticket_id: str
    prefix: str
    priority: bool
    order_key: int
    slot_start: float | None = None  # set for checked-in appointment tickets


@dataclass(frozen=True)
class Choice:
    ticket_id: str
    normal_run: int   # the window's count of normal calls since its last priority call
    reason: str       # appointment | priority | normal


def choose_next(candidates: list[Candidate], skills: set[str], normal_run: int, ratio: int,
                now: float, early_s: float) -> Choice | None:
    mine = [c for c in candidates if c.prefix in skills]
    if not mine:
        return None
    due = [c for c in mine if c.slot_start is not None and c.slot_start - early_s <= now]
    if due:
        pick = min(due, key=lambda c: (c.slot_start, c.order_key))
        return Choice(pick.ticket_id, normal_run, "appointment")
    prio = min((c for c in mine if c.priority), key=lambda c: c.order_key, default=None)
    normal = min((c for c in mine if not c.priority), key=lambda c: c.order_key, default=None)
    if prio is not None and (normal is None or normal_run >= ratio):
        return Choice(prio.ticket_id, 0, "priority")
    assert normal is not None
    return Choice(normal.ticket_id, normal_run + 1, "normal")
