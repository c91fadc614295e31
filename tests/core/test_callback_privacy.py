"""The callback number after a bad rating: only with consent, only after a bad rating, only in
``rating.callback.phone`` — the one personal field allowed out of the bus (PERSONAL_EVENT_FIELDS)."""
from __future__ import annotations

import json
import re

import pytest

from tests.core.test_engine import at_stop
from ztc.db import outbox
from ztc.domain.engine import QueueEngine, QueueError, Ticket
from ztc.domain.feedback import PERSONAL_EVENT_FIELDS

LONG_NUMBER = re.compile(r"\d{11,}")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")  # ids, not numbers people write


def all_events(engine: QueueEngine) -> list[outbox.Event]:
    with engine.db.read() as conn:
        return outbox.pending(conn, 0, 10000)


def served(engine: QueueEngine) -> Ticket:
    t = engine.issue("A")
    engine.call_next(1)
    engine.complete(1, "A01", "completed")
    return t


def test_callback_rules_and_the_only_personal_field(engine: QueueEngine) -> None:
    at_stop(engine)
    engine.open_window(1, "007", ["A"])
    good, bad = served(engine), served(engine)
    engine.rate(good.number, 5)
    with pytest.raises(QueueError) as e:
        engine.request_callback(good.number, "13912345678", True)
    assert e.value.code == "no_bad_rating"
    engine.rate(bad.number, 1, ["attitude"])
    with pytest.raises(QueueError) as e:
        engine.request_callback(bad.number, "13912345678", False)
    assert e.value.code == "no_consent"
    for wrong in ("1391234567", "23912345678", "abc"):
        with pytest.raises(QueueError) as e:
            engine.request_callback(bad.number, wrong, True)
        assert e.value.code == "bad_phone"
    engine.request_callback(bad.number, "139 1234 5678", True)
    found = []
    for ev in all_events(engine):
        for key, value in ev.data.items():
            text = UUID.sub("", json.dumps(value))
            if LONG_NUMBER.search(re.sub(r"(?<=\d)[\s-]+(?=\d)", "", text)):
                found.append((ev.type, key))
    assert found == [("rating.callback", "phone")] and set(found) == set(PERSONAL_EVENT_FIELDS)
    tokens = [ev.data["rate_token"] for ev in all_events(engine) if ev.type == "ticket.issued"]
    assert len(set(tokens)) == 2 and all(len(t) >= 20 for t in tokens)
