"""Live updates between HQ processes on PostgreSQL (hq/notify.py): a process that ingests and serves
pushes its own updates once (directly, not back through NOTIFY), and decodes none while no
dashboard is connected. PostgreSQL only: SQLite has one process and no NOTIFY."""
from __future__ import annotations

import json
import threading
import time
import types
from collections.abc import Callable
from typing import Any

import pytest

import hq.notify
from hq.notify import Listener, Notifier
from tests.pgcluster import PrivateCluster


def until(check: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


class Got:
    """A hub's stand-in: what was delivered, from any thread."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def __call__(self, update: dict[str, Any]) -> None:
        with self._lock:
            self.items.append(update)


def test_a_process_pushes_its_own_updates_once_and_the_others_through_postgresql(pg_cluster: PrivateCluster) -> None:
    url = pg_cluster.fresh_url()
    hub, elsewhere = Got(), Got()  # this process's hub; a --web-only process's hub
    mine = Notifier(url, local=hub)
    other = Notifier(url)  # an --ingest-only process
    listener = Listener(url, hub, own=mine)
    web_only = Listener(url, elsewhere)
    try:
        assert listener.ready.wait(10) and web_only.ready.wait(10)
        mine.publish({"type": "position", "bus": "b1", "n": 1})
        assert hub.items == [{"type": "position", "bus": "b1", "n": 1}]  # at once, on the publishing thread
        other.publish({"type": "position", "bus": "b2", "n": 2})
        until(lambda: len(elsewhere.items) == 2 and listener.received == 1 and listener.skipped == 1)
        time.sleep(0.3)  # nothing more arrives late
        assert sorted(u["n"] for u in hub.items) == [1, 2]  # each once: our own not again from NOTIFY
        assert sorted(u["n"] for u in elsewhere.items) == [1, 2]  # the other web process still gets both
    finally:
        for closing in (listener, web_only, mine, other):
            closing.close()


def test_a_listener_decodes_nothing_while_no_dashboard_is_connected(pg_cluster: PrivateCluster,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    decoded: list[str] = []

    def loads(text: str) -> Any:
        decoded.append(text)
        return json.loads(text)

    monkeypatch.setattr(hq.notify, "json", types.SimpleNamespace(dumps=json.dumps, loads=loads))
    url = pg_cluster.fresh_url()
    hub, clients = Got(), [0]
    sender = Notifier(url)
    listener = Listener(url, hub, wanted=lambda: clients[0] > 0)
    try:
        assert listener.ready.wait(10)
        sender.publish({"type": "position", "bus": "b1", "n": 1})
        until(lambda: listener.skipped == 1)
        assert decoded == [] and hub.items == []
        clients[0] = 1  # a dashboard connects: updates are decoded and delivered again
        sender.publish({"type": "position", "bus": "b1", "n": 2})
        until(lambda: hub.items == [{"type": "position", "bus": "b1", "n": 2}])
        assert len(decoded) == 1 and listener.skipped == 1
    finally:
        listener.close()
        sender.close()
