"""Wait estimates and the departure-aware cut-off.

An estimate is (people ahead) × (recent mean service time) ÷ (open windows with that skill). The mean
is a moving average of the last few real service times, so the figure follows the day; before any
service of that kind today it falls back to the catalog's expected minutes.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ztc.domain.context import Ctx, loads


@dataclass(frozen=True)
class Estimate:
    prefix: str
    ahead: int
    mean_service_s: float
    windows: int          # open, unpaused windows with this skill (0: nobody staffs it yet)
    wait_s: float         # until this ticket is called
    finish_s: float       # until this ticket is done

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def mean_service_s(ctx: Ctx, prefix: str) -> float:
    rows = ctx.conn.execute(
        "SELECT service_s FROM records WHERE prefix = ? AND service_s > 0 ORDER BY ts DESC LIMIT ?",
        (prefix, ctx.settings.queue.estimate_samples),
    ).fetchall()
    if rows:
        return float(sum(r[0] for r in rows) / len(rows))
    return ctx.catalog.category(prefix).minutes * 60.0


def windows_with_skill(ctx: Ctx, prefix: str) -> int:
    rows = ctx.conn.execute("SELECT skills FROM windows WHERE open = 1 AND paused = 0").fetchall()
    return sum(1 for r in rows if prefix in (loads(r[0]) or []))


def estimate(ctx: Ctx, prefix: str) -> Estimate:
    ahead = ctx.conn.execute(
        "SELECT COUNT(*) FROM tickets WHERE prefix = ? AND state = 'waiting'", (prefix,)
    ).fetchone()[0]
    mean = mean_service_s(ctx, prefix)
    windows = windows_with_skill(ctx, prefix)
    per = mean / max(1, windows)
    return Estimate(prefix, ahead, mean, windows, ahead * per, (ahead + 1) * per)
