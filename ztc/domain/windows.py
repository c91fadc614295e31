"""Windows (counters): opened by a crew member with the services they handle (skills)."""
from __future__ import annotations

import sqlite3

from ztc.domain import tickets
from ztc.domain.context import Ctx, dumps, loads
from ztc.domain.errors import QueueError
from ztc.domain.models import Window
from ztc.text import Text


def public(row: sqlite3.Row) -> Window:
    return Window.from_row(row, loads(row["skills"]))


def open_window(ctx: Ctx, number: int, crew: str, skills: list[str]) -> Window:
    if not 1 <= number <= 20:
        raise QueueError("bad_window", Text("窗口号是 1 到 20", "window numbers are 1 to 20"))
    skills = sorted(set(skills))
    if not skills:
        raise QueueError("no_skills", Text("请选择本窗口办理的服务", "choose the services this window handles"))
    for s in skills:
        ctx.catalog.category(s)
    ctx.conn.execute(
        "INSERT INTO windows(number, crew, skills, open, paused, normal_run, opened_at) VALUES (?,?,?,1,0,?,?) "
        "ON CONFLICT(number) DO UPDATE SET crew = excluded.crew, skills = excluded.skills, open = 1, paused = 0, "
        "opened_at = excluded.opened_at",
        # normal_run starts at the ratio: a priority ticket already waiting is called first.
        (number, crew, dumps(skills), ctx.settings.queue.priority_ratio, ctx.now),
    )
    return get(ctx, number)


def get(ctx: Ctx, number: int) -> Window:
    return public(tickets.window_row(ctx, number))


def set_paused(ctx: Ctx, number: int, paused: bool) -> Window:
    tickets.window_row(ctx, number)
    ctx.conn.execute("UPDATE windows SET paused = ? WHERE number = ?", (int(paused), number))
    return get(ctx, number)


def close_window(ctx: Ctx, number: int) -> None:
    tickets.window_row(ctx, number)
    busy = tickets.at_window(ctx, number)
    if busy is not None:
        raise QueueError("window_busy", Text(f"{number} 号窗口还有 {busy['number']} 未办完",
                                             f"window {number} still has {busy['number']}"))
    ctx.conn.execute("UPDATE windows SET open = 0, paused = 0 WHERE number = ?", (number,))


def all_windows(ctx: Ctx) -> list[Window]:
    return [public(r) for r in ctx.conn.execute("SELECT * FROM windows ORDER BY number")]
