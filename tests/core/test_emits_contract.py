"""Every event the bus emits passes the contract headquarters validates it with (contract.events).

A service day through the real engine that reaches every ``ctx.emit`` site (arrival, every ticket
path, ratings, suggestions, an appointment check-in, departure with release and rebook, a clock step), plus the
agent's ``track`` event. If an emit site wrote a field the contract does not allow, headquarters
would quarantine real events: this test fails first.
"""
from __future__ import annotations

from datetime import datetime

import pytest

from contract.events import EVENT_MODELS, validate_event
from tests.core.conftest import events
from ztc import wallclock
from ztc.domain.engine import QueueEngine, QueueError


def test_a_service_day_emits_only_events_the_contract_accepts(engine: QueueEngine, clock) -> None:  # type: ignore[no-untyped-def]
    engine.arrive("nanma-xincun", "gps")
    engine.open_window(1, "007", ["A", "B", "D", "E", "F", "G"])
    served = engine.issue("A", priority=True)
    engine.call_next(1)
    engine.recall(1)
    engine.start(1)
    engine.complete(1, "A01", "completed", ems_no="EMS12345678")
    engine.rate(served.id, 1, ["efficiency", "attitude"])
    engine.request_callback(served.id, "13912345678", True)  # the one personal field, with consent
    engine.suggest(["more_stops"])
    missing = engine.issue("B")
    engine.call_next(1)
    for _ in range(3):
        engine.recall(1)  # past no_show_after_calls: a no-show
    assert engine.ticket(missing.id).state == "no_show"
    engine.cancel(engine.issue("F").id)
    engine.transfer(engine.issue("D").id, "E")
    with pytest.raises(QueueError):
        engine.issue("C")  # not offered at this stop: request.refused
    engine.issue("A")
    engine.call_next(1)
    engine.complete(1, "A01", "accepted", case_no="SD-0042", department="县人社局",
                    promised_date=datetime.fromtimestamp(clock(), engine.settings.tz).date().isoformat())
    engine.replace_appointments([{"id": "ap-1", "code": "123456", "service": "A", "stop": None,
                                  "slot_start": clock() + 600, "slot_end": clock() + 1200,
                                  "name_masked": "张*", "phone_last4": "5678", "needs": ""}])
    engine.check_in(code="123456")
    released, rebooked = engine.issue("A"), engine.issue("B")
    engine.depart(decision={released.number: "release", rebooked.number: "rebook"})
    while engine.call_next(1) is not None:
        engine.complete(1, "A01", "consulted")
    engine.depart()
    # the wall clock stepped 15 h forward since the last write (a board that booted with an old
    # clock): the next write notices it and emits clock.stepped (ztc/wallclock.py)
    with engine.db.write() as conn:
        wallclock._set_meta(conn, "clock_offset", f"{wallclock.boot_id()} {wallclock.wall_offset() - 54000:.3f}")
    engine.suggest(["more_stops"])
    emitted = events(engine)
    types = {e["type"] for e in emitted}
    assert types == set(EVENT_MODELS) - {"track"}, set(EVENT_MODELS) - types
    for e in emitted:
        validate_event(e["type"], {k: v for k, v in e.items() if k not in ("seq", "type")})


def test_the_agents_track_event_is_accepted() -> None:
    position = {"ts": 1.7e9, "lat": 36.19, "lon": 118.18, "speed": 3.2, "track": 90.0, "mode": 3, "alt": 300.0,
                "eph": 4.5, "sats": 9, "stop": None}
    validate_event("track", {"positions": [position]})


def test_docs_protocol_lists_every_event_type_with_the_fields_of_its_model() -> None:
    """docs/protocol.md's "Event data, per type" table and contract.events must agree: every type in
    both, every documented field modelled, every modelled field documented (the fields all ticket
    events share may be left out of a row)."""
    import re
    from pathlib import Path

    from contract.events import TicketEvent

    text = (Path(__file__).resolve().parents[2] / "docs" / "protocol.md").read_text(encoding="utf-8")
    table = text.split("## Event `data`, per type", 1)[1]
    rows: dict[str, set[str]] = {}
    for line in table.splitlines():
        cells = line.split(" | ")
        if not line.startswith("| `") or len(cells) < 2:
            continue
        kinds = re.findall(r"`([a-z_.]+)`", re.sub(r"\(.*?\)", "", cells[0]))
        fields = set(re.findall(r"`([a-z_]+)`", re.sub(r"\(.*?\)", "", cells[1])))
        for k in kinds:
            rows[k] = fields
    assert set(rows) == set(EVENT_MODELS)
    shared = set(TicketEvent.model_fields)
    for kind, fields in rows.items():
        modelled = set(EVENT_MODELS[kind].model_fields)
        assert fields <= modelled, (kind, fields - modelled)
        assert modelled - shared <= fields, (kind, modelled - shared - fields)
