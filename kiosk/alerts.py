"""Alerts from the resident kiosk to the crew console (a ticket that did not print).

Why a file: the two roles are separate processes that share only the data dir, and the bus schema
has no alerts table yet (requested from the lead). Appends are single small writes under a lock, so
two kiosks never interleave; the crew console dismisses an alert by id.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any


class CrewAlerts:
    def __init__(self, path: Path):
        self.path = path

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(self.path.name + ".lock"), "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def raise_alert(self, kind: str, number: str, ticket_id: str, detail: str) -> str:
        alert_id = uuid.uuid4().hex
        line = json.dumps({"id": alert_id, "kind": kind, "number": number, "ticket_id": ticket_id,
                           "detail": detail, "ts": time.time(), "open": True}, ensure_ascii=False)
        with self._locked(), open(self.path, "a", encoding="utf-8") as f:
            f.write(line + "\n")
        return alert_id

    def _all(self) -> list[dict[str, Any]]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        out = []
        for line in text.splitlines():
            with contextlib.suppress(ValueError):
                out.append(json.loads(line))
        return out

    def open_alerts(self) -> list[dict[str, Any]]:
        alerts: dict[str, dict[str, Any]] = {}
        for a in self._all():
            if a.get("open", True):
                alerts[a["id"]] = a
            else:
                alerts.pop(a["id"], None)
        return list(alerts.values())

    def dismiss(self, alert_id: str) -> None:
        with self._locked(), open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps({"id": alert_id, "open": False}) + "\n")
