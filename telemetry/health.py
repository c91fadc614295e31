"""The ``health`` payload: devices, outbox backlog, storage pressure, disk space, documents.

Headquarters reads this to decide whether someone must drive out with a spare printer, so every
problem the bus knows about shows here, in words (Chinese first) — not just as a number.
"""
from __future__ import annotations

import importlib
import json
import logging
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from telemetry.track import track_usage
from ztc.db import Database, StorageError, outbox
from ztc.settings import Settings
from ztc.text import Text

log = logging.getLogger(__name__)

DOCUMENT_KINDS = ("catalog", "schedule", "appointments")
PROBLEM_KEY = "document_problem.{kind}"

DeviceStatus = dict[str, dict[str, Any]]

DEVICE_STATUS_FAILED = Text("设备状态读取失败", "device status failed: {error}")
TRACK_PRESSURE = Text("定位记录存储接近上限，旧记录已丢弃 {dropped} 条",
                      "recorded-position storage near its limit; {dropped} old rows dropped")


def registry_statuses(settings: Settings, db: Database | None = None) -> DeviceStatus:
    """Device health from ``drivers.registry.device_statuses`` once that module exists. The ticket
    printer is read from its owner's row in ``db`` (the resident kiosk publishes it); never opened here."""
    try:
        registry = importlib.import_module("drivers.registry")
    except ImportError:
        return {}
    fn = getattr(registry, "device_statuses", None)
    if fn is None:
        return {}
    try:
        result = fn(settings, db=db)
    except Exception as e:  # one broken driver must not take the health report down
        log.warning("device status failed: %s", e)
        return {"devices": {"state": "error", "detail": str(DEVICE_STATUS_FAILED.format(error=e))}}
    return dict(result)


def disk_free_mb(path: Path) -> float | None:
    try:
        return round(shutil.disk_usage(path).free / 1e6, 1)
    except OSError:
        return None


def _document_state(conn: Any) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    versions = {r[0]: r[1] for r in conn.execute("SELECT kind, version FROM documents")}
    problems = {r[0].split(".", 1)[1]: r[1]
                for r in conn.execute("SELECT key, value FROM meta WHERE key LIKE 'document_problem.%'")}
    for kind in DOCUMENT_KINDS:
        entry: dict[str, Any] = {"version": versions.get(kind, 0)}
        if kind in problems:
            entry["problem"] = problems[kind]
        out[kind] = entry
    return out


def health_payload(db: Database, settings: Settings, sw: str, now: float,
                   devices: Callable[[], DeviceStatus], extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Exactly the PROTOCOL.md ``health`` fields, plus optional ones (unknown fields are ignored)."""
    problems: list[str] = []
    try:
        with db.read() as conn:
            box = outbox.stats(conn)
            track = track_usage(conn)
            documents = _document_state(conn)
            storage = conn.execute("SELECT value FROM meta WHERE key = 'storage_problem'").fetchone()
    except StorageError as e:
        box, track, documents, storage = {"pending": 0, "oldest_ts": None}, {}, {}, None
        problems.append(str(e))
    device_states = devices()
    if storage is not None:
        problems.append(storage[0])
        # A database replaced after corruption is a device problem the crew and HQ must see.
        device_states = {**device_states, "storage": {"state": "degraded", "detail": storage[0]}}
    limit_kb = settings.agent.track_max_kb
    track["limit_kb"] = limit_kb
    track["pressure"] = bool(track.get("dropped")) or track.get("kb", 0) > 0.8 * limit_kb
    if track["pressure"]:
        problems.append(str(TRACK_PRESSURE.format(dropped=track.get("dropped", 0))))
    for kind, doc in documents.items():
        if "problem" in doc:
            problems.append(f"{kind}: {doc['problem']}")
    payload: dict[str, Any] = {
        "ts": now,
        "sw": sw,
        "devices": device_states,
        "outbox": {**box, "track": track} if track.get("rows") or track.get("dropped") else box,
        "disk_free_mb": disk_free_mb(settings.data_dir),
        "documents": {kind: doc["version"] for kind, doc in documents.items()},
        "problems": problems,
    }
    # Document problems in full only while there are some: every byte is paid on a cellular link.
    troubled = {kind: doc for kind, doc in documents.items() if "problem" in doc}
    if troubled:
        payload["document_problems"] = {kind: doc["problem"] for kind, doc in troubled.items()}
    if extra:
        payload.update(extra)
    return payload


def change_key(payload: dict[str, Any]) -> str:
    """What counts as a *change* of health: not the clock, device figures, lateness, every MB of disk
    or every event in the outbox (those go out with the periodic report), but any device state,
    problem or order of magnitude — each message costs cellular bytes."""
    box = payload.get("outbox", {})
    pending = box.get("pending", 0)
    disk = payload.get("disk_free_mb")
    key = {k: v for k, v in payload.items() if k not in ("ts", "outbox", "disk_free_mb", "devices", "stop")}
    key["devices"] = {name: d.get("state") for name, d in payload.get("devices", {}).items()}
    key["backlog"] = pending >= 1000
    key["track_pressure"] = box.get("track", {}).get("pressure")
    key["disk_low"] = disk is not None and disk < 500
    return json.dumps(key, sort_keys=True, default=str)
