"""The callback number a resident left after a bad rating: the one personal datum a bus sends.

Why a table of its own: the number must not sit in the events table, which the protocol API and
the figures read, and it must go when its case is closed plus ``RETENTION_DAYS``. The ingest takes
it out of the ``rating.callback`` event as the event is stored (``split``), so the stored event
never holds it; ``hq.cases`` shows it only to the case's handler (audited) and housekeeping
deletes it (``purge``).
"""
from __future__ import annotations

from typing import Any

CALLBACK_EVENT = "rating.callback"
# 30 days after the case closes: long enough for the 复核 re-check call and for the resident to
# dispute the outcome (申诉) within the month the result is published; no rule found asks for longer.
RETENTION_DAYS = 30

def split(data: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """The event's data without the number (what is stored as the event), and the number."""
    phone = data.get("phone")
    rest = {k: v for k, v in data.items() if k != "phone"}
    if isinstance(phone, str) and phone:
        rest["phone_held"] = True
        return rest, phone
    return rest, None


def insert_sql() -> str:
    """The first number for a ticket wins; a resent event changes nothing."""
    return ("INSERT INTO case_contacts(ticket_id, bus, phone, consent, source, received_at) VALUES (?,?,?,?,?,?) "
            "ON CONFLICT DO NOTHING")


def mask(phone: str) -> str:
    return phone[:3] + "*" * max(0, len(phone) - 7) + phone[-4:] if len(phone) >= 7 else "*" * len(phone)
