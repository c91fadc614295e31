"""The engine's and the screens' read models are typed values, and become dicts only at the wire."""
from __future__ import annotations

import dataclasses
import json

import pytest

from kiosk.state import ANNOUNCEMENT_KEY, Announcement, DaySummary, RecentCall, read_state
from ztc.domain.engine import QueueEngine, QueueError
from ztc.domain.estimate import Estimate
from ztc.domain.models import QueueSnapshot, Ticket, Visit, Window
from ztc.text import Text


def test_a_ticket_is_a_frozen_value_with_its_stop(engine: QueueEngine) -> None:
    engine.arrive("nanma-xincun", "crew")
    issued = engine.issue("A", priority=True)
    assert isinstance(issued, Ticket) and issued.number == "A001" and issued.priority is True
    assert issued.stop_id == "nanma-xincun" and issued.ahead == 0 and not issued.final
    with pytest.raises(dataclasses.FrozenInstanceError):
        issued.state = "served"  # type: ignore[misc]  # frozen: a screen cannot change what another reads
    again = engine.ticket("A001")
    assert again.ahead is None and again.id == issued.id   # the estimate belongs to the moment of issue
    assert "ahead" in issued.to_dict() and "ahead" not in again.to_dict()
    engine.open_window(1, "007", ["A"])
    engine.call_next(1)
    done = engine.complete(1, "A01", "completed")
    assert done.final and done.to_dict()["final"] is True
    json.dumps(done.to_dict())  # the CLI's --json form is plain data


def test_the_snapshot_keeps_the_protocol_fields(engine: QueueEngine) -> None:
    engine.arrive("nanma-xincun", "crew")
    engine.issue("A")
    snap = engine.snapshot()
    assert isinstance(snap, QueueSnapshot) and snap.waiting == 1 and snap.by_service == {"A": 1}
    wire = snap.to_dict()
    assert wire["by_service"] == {"A": 1} and wire["accepting"] is True and wire["stop"] == "nanma-xincun"


def test_bus_state_holds_typed_parts(engine: QueueEngine) -> None:
    engine.arrive("nanma-xincun", "crew")
    engine.open_window(1, "007", ["A"])
    engine.issue("A")
    engine.call_next(1)
    with engine.db.write() as conn:
        conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)",
                     (ANNOUNCEMENT_KEY, json.dumps({"text_zh": "下午停电", "text_en": "Power cut", "until": None})))
    state = read_state(engine)
    assert state.recent_calls == [RecentCall(id=state.active[0].id, number="A001", prefix="A", window=1,
                                             called_at=state.recent_calls[0].called_at, calls=1, state="called")]
    assert isinstance(state.summary, DaySummary) and state.summary.issued == 1
    assert all(isinstance(e, Estimate) for e in state.estimates.values()) and "A" in state.estimates
    assert state.announcement == Announcement(Text("下午停电", "Power cut"), None)
    assert state.snapshot.serving == 1 and [t.number for t in state.active] == ["A001"]


@pytest.mark.parametrize("raw", ["not json", json.dumps([1]), json.dumps({"text_en": "no Chinese"}),
                                 json.dumps({"text_zh": "x", "until": "soon"}),
                                 json.dumps({"text_zh": "x", "until": 1.0})])
def test_a_bad_or_past_announcement_is_not_shown(engine: QueueEngine, raw: str) -> None:
    with engine.db.write() as conn:
        conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (ANNOUNCEMENT_KEY, raw))
    assert read_state(engine).announcement is None


def test_a_window_is_typed_and_its_wire_form_lists_skills(engine: QueueEngine) -> None:
    opened = engine.open_window(2, "007", ["D", "A", "A"])
    assert opened == Window(number=2, crew="007", skills=("A", "D"), open=True, paused=False,
                            normal_run=opened.normal_run, opened_at=opened.opened_at)
    assert engine.pause_window(2).paused is True and engine.windows() == [engine.pause_window(2)]
    assert engine.windows()[0].to_dict()["skills"] == ["A", "D"]


def test_a_visit_is_typed_and_closing_shows_in_it(engine: QueueEngine) -> None:
    visit = engine.arrive("nanma-xincun", "crew")
    assert isinstance(visit, Visit) and visit.stop_id == "nanma-xincun" and not visit.closing
    assert visit.services and all(isinstance(s, str) for s in visit.services)
    assert engine.current_visit() == visit and visit.to_dict()["services"] == list(visit.services)
    engine.issue("A")
    with pytest.raises(QueueError):
        engine.depart()  # a ticket still waits: the visit stops taking tickets
    current = engine.current_visit()
    assert current is not None and current.closing and current.id == visit.id
