"""好差评 ratings (one per ticket, five levels, reasons required for the two lowest) and
suggestions (chosen topics only: residents never type free text on the kiosk)."""
from __future__ import annotations

import uuid
from typing import Any

from ztc.domain import tickets
from ztc.domain.context import Ctx, dumps
from ztc.domain.errors import QueueError
from ztc.domain.vocabulary import RATING_LEVELS, RATING_REASONS, REASONS_REQUIRED_AT_OR_BELOW, SUGGESTION_TOPICS


def rate(ctx: Ctx, ref: str, level: int, reasons: list[str]) -> dict[str, Any]:
    row = tickets.find(ctx, ref)
    if row["state"] != "served":
        raise QueueError("not_served", f"{row['number']} 还没有办结，不能评价",
                         f"{row['number']} has not been served; nothing to rate yet")
    if level not in RATING_LEVELS:
        raise QueueError("bad_level", "评价等级是 1 到 5", "the rating level is 1 to 5")
    unknown = [r for r in reasons if r not in RATING_REASONS]
    if unknown:
        raise QueueError("bad_reason", f"无效的原因：{unknown}", f"unknown reasons: {unknown}",
                         choices=sorted(RATING_REASONS))
    if level <= REASONS_REQUIRED_AT_OR_BELOW and not reasons:
        raise QueueError("reason_required", "请选择不满意的原因", "please choose what went wrong",
                         choices=sorted(RATING_REASONS))
    reasons = sorted(set(reasons))
    if ctx.conn.execute("SELECT 1 FROM ratings WHERE ticket_id = ?", (row["id"],)).fetchone():
        raise QueueError("already_rated", f"{row['number']} 已经评价过了", f"{row['number']} was already rated")
    ctx.conn.execute("INSERT INTO ratings(ticket_id, level, reasons, ts) VALUES (?,?,?,?)",
                     (row["id"], level, dumps(reasons), ctx.now))
    data = {"ticket_id": row["id"], "number": row["number"], "service": row["prefix"], "level": level,
            "reasons": reasons, "window": row["window"], "crew": row["crew"], "visit_id": row["visit_id"]}
    ctx.emit("rating", data)
    return data


def suggest(ctx: Ctx, topics: list[str], visit_id: str | None) -> dict[str, Any]:
    topics = sorted(set(topics))
    if not topics:
        raise QueueError("no_topic", "请至少选择一项建议", "choose at least one topic")
    unknown = [t for t in topics if t not in SUGGESTION_TOPICS]
    if unknown:
        raise QueueError("bad_topic", f"无效的建议：{unknown}", f"unknown topics: {unknown}",
                         choices=sorted(SUGGESTION_TOPICS))
    sid = str(uuid.uuid4())
    ctx.conn.execute("INSERT INTO suggestions(id, topics, visit_id, ts) VALUES (?,?,?,?)",
                     (sid, dumps(topics), visit_id, ctx.now))
    data = {"id": sid, "topics": topics, "visit_id": visit_id}
    ctx.emit("suggestion", data)
    return data
