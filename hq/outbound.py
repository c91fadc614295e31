"""The last checks before a document or command is stored as "to send": the bus's size limit and
the privacy check, so headquarters never answers "sent" for what a bus will drop.

Why here and not only in the models: a document can be valid field by field and still be refused
by the bus as a whole — over ``protocol.MAX_PAYLOAD_BYTES`` once encoded (the agent drops it as too
large and keeps the old one), or holding a phone number in a field the model does not look at.
``contract.privacy`` is the one privacy check both sides use; here it looks at every string.
"""
from __future__ import annotations

from typing import Any

from contract import protocol
from contract.privacy import private_fields


class OutboundError(ValueError):
    """Refused before publishing; ``status`` is the HTTP answer (413 too large, 422 private data)."""

    def __init__(self, status: int, text: str):
        super().__init__(text)
        self.status = status


def check(kind: str, payload: dict[str, Any]) -> bytes:
    """The encoded payload, or OutboundError. ``kind``: catalog, schedule, appointments, cmd."""
    found = private_fields(payload)
    if found:
        raise OutboundError(422, f"含有完整电话或身份证号，未发布 / holds a full phone or ID-card number, "
                                 f"not published: {', '.join(found[:5])}")
    raw = protocol.encode(payload)
    if len(raw) > protocol.MAX_PAYLOAD_BYTES:
        raise OutboundError(413, f"{kind} 过大（{len(raw)} 字节，车辆上限 {protocol.MAX_PAYLOAD_BYTES}），未发布 / "
                                 f"{kind} is {len(raw)} bytes, over the bus's limit of "
                                 f"{protocol.MAX_PAYLOAD_BYTES}: not published (split it or remove items)")
    return raw
