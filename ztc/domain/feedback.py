"""好差评 ratings (one per ticket, five levels, reasons required for the two lowest), the callback
number a resident may leave after a bad rating, and suggestions (chosen topics only: residents
never type free text on the kiosk)."""
from __future__ import annotations

import re
import uuid
from typing import Any

from ztc.domain import tickets
from ztc.domain.context import Ctx, dumps
from ztc.domain.errors import QueueError
from ztc.domain.vocabulary import (
    CALLBACK_CONSENT_VERSION,
    RATING_LEVELS,
    RATING_REASONS,
    REASONS_REQUIRED_AT_OR_BELOW,
    SUGGESTION_TOPICS,
)
from ztc.text import Text

# A mainland mobile number, or a landline with its area code (0 + 9 to 11 digits).
PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{9,11})$")
# The one personal datum that may leave the bus: this field of this event type, sent only after
# the resident agreed to the consent text (docs/protocol.md, "rating.callback").
PERSONAL_EVENT_FIELDS: frozenset[tuple[str, str]] = frozenset({("rating.callback", "phone")})


def rate(ctx: Ctx, ref: str, level: int, reasons: list[str]) -> dict[str, Any]:
    row = tickets.find(ctx, ref)
    if row["state"] != "served":
        raise QueueError("not_served", Text(f"{row['number']} 还没有办结，不能评价",
                                            f"{row['number']} has not been served; nothing to rate yet"))
    if level not in RATING_LEVELS:
        raise QueueError("bad_level", Text("评价等级是 1 到 5", "the rating level is 1 to 5"))
    unknown = [r for r in reasons if r not in RATING_REASONS]
    if unknown:
        raise QueueError("bad_reason", Text(f"无效的原因：{unknown}", f"unknown reasons: {unknown}"),
                         choices=sorted(RATING_REASONS))
    if level <= REASONS_REQUIRED_AT_OR_BELOW and not reasons:
        raise QueueError("reason_required", Text("请选择不满意的原因", "please choose what went wrong"),
                         choices=sorted(RATING_REASONS))
    reasons = sorted(set(reasons))
    if ctx.conn.execute("SELECT 1 FROM ratings WHERE ticket_id = ?", (row["id"],)).fetchone():
        raise QueueError("already_rated", Text(f"{row['number']} 已经评价过了", f"{row['number']} was already rated"))
    ctx.conn.execute("INSERT INTO ratings(ticket_id, level, reasons, ts) VALUES (?,?,?,?)",
                     (row["id"], level, dumps(reasons), ctx.now))
    data = {"ticket_id": row["id"], "number": row["number"], "service": row["prefix"], "level": level,
            "reasons": reasons, "window": row["window"], "crew": row["crew"], "visit_id": row["visit_id"]}
    ctx.emit("rating", data)
    return data


def request_callback(ctx: Ctx, ref: str, phone: str, consent: bool) -> dict[str, Any]:
    """After a bad rating, the resident's number for the callback (回访), with their consent.

    The number is kept nowhere on the bus but in the outbox event, which is deleted once
    headquarters acknowledged it (``ztc.db.outbox``); headquarters shows it only to the case's handler."""
    row = tickets.find(ctx, ref)
    rating = ctx.conn.execute("SELECT level FROM ratings WHERE ticket_id = ?", (row["id"],)).fetchone()
    if rating is None or rating["level"] > REASONS_REQUIRED_AT_OR_BELOW:
        raise QueueError("no_bad_rating", Text("只有差评才需要回访", "a callback is offered only after a bad rating"))
    if not consent:
        raise QueueError("no_consent", Text("未同意回访说明，号码不会发送", "without consent the number is not sent"))
    phone = re.sub(r"[\s-]", "", phone or "")
    if not PHONE_RE.match(phone):
        raise QueueError("bad_phone", Text("请输入 11 位手机号或带区号的固定电话",
                                           "enter an 11-digit mobile number or a landline with its area code"))
    data = {"ticket_id": row["id"], "number": row["number"], "phone": phone, "consent": CALLBACK_CONSENT_VERSION}
    ctx.emit("rating.callback", data)
    return {"ticket_id": row["id"], "number": row["number"]}


def suggest(ctx: Ctx, topics: list[str], visit_id: str | None) -> dict[str, Any]:
    topics = sorted(set(topics))
    if not topics:
        raise QueueError("no_topic", Text("请至少选择一项建议", "choose at least one topic"))
    unknown = [t for t in topics if t not in SUGGESTION_TOPICS]
    if unknown:
        raise QueueError("bad_topic", Text(f"无效的建议：{unknown}", f"unknown topics: {unknown}"),
                         choices=sorted(SUGGESTION_TOPICS))
    sid = str(uuid.uuid4())
    ctx.conn.execute("INSERT INTO suggestions(id, topics, visit_id, ts) VALUES (?,?,?,?)",
                     (sid, dumps(topics), visit_id, ctx.now))
    data = {"id": sid, "topics": topics, "visit_id": visit_id}
    ctx.emit("suggestion", data)
    return data
