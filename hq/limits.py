"""Bounds on every number that reaches headquarters from outside (a query, a form, a bus).

Why in one place: each unbounded number found was a 500 or a silent wrong state — ``after_seq=2^63``
overflows SQLite's integer, ``date=9999-12-31`` has no next day, a deadline of ``1e999`` is stored as
infinity (never overdue), and a bus changing epoch on every message grows the epochs table forever.
"""
from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import Field

from hq.storage import HqStore

MAX_SEQ = 2**62  # the protocol's bound on an event's seq (contract.protocol.Event)
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2199, 12, 31)  # days any page or report may ask for
MAX_TS = 1e11  # the protocol's bound on a time (year 5138): anything later is garbage
MAX_EPOCHS_PER_BUS = 64  # a bus starts an epoch only when its database is replaced

Deadline = Annotated[float, Field(gt=0, le=MAX_TS, allow_inf_nan=False)]
Until = Annotated[float, Field(ge=0, le=MAX_TS, allow_inf_nan=False)]


def epoch_allowed(store: HqStore, bus: str, epoch: str) -> bool:
    """A known epoch, or a new one while the bus has fewer than MAX_EPOCHS_PER_BUS."""
    if store.query("SELECT 1 FROM epochs WHERE bus = ? AND epoch = ?", (bus, epoch)):
        return True
    return store.query("SELECT COUNT(*) FROM epochs WHERE bus = ?", (bus,))[0][0] < MAX_EPOCHS_PER_BUS
