"""What needs a person at headquarters now: devices in error, buses silent too long, an old
outbox backlog (the bus cannot upload), bad ratings waiting for follow-up.

Derived on request from the buses' latest state and the open cases, never stored: an alert goes
away by itself once the cause is gone (the device is fixed, the bus is heard from again).
"""
from __future__ import annotations

from typing import Any

DEVICE_TEXT = {"error": ("设备故障", "device error"), "offline": ("设备离线", "device offline")}


def alerts(buses: list[dict[str, Any]], open_cases: list[dict[str, Any]], now: float,
           offline_after_s: float, backlog_after_s: float) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for b in buses:
        bus = b["id"]
        silent = now - (b["last_seen"] or 0)
        if not b["online"] or silent > offline_after_s:
            minutes = round(silent / 60)
            if silent > offline_after_s:
                out.append(_alert("offline", bus, "error", f"车辆离线 {minutes} 分钟 / bus offline for {minutes} min",
                                  b["last_seen"]))
        health = b.get("health") or {}
        for name, dev in sorted((health.get("devices") or {}).items()):
            state = dev.get("state") if isinstance(dev, dict) else None
            if state in DEVICE_TEXT:
                zh, en = DEVICE_TEXT[state]
                detail = str(dev.get("detail") or "")[:200]
                out.append(_alert("device", bus, "error", f"{zh}：{name} {detail} / {en}: {name}", health.get("ts"),
                                  device=name))
        oldest = (health.get("outbox") or {}).get("oldest_ts")
        if isinstance(oldest, int | float) and now - oldest > backlog_after_s:
            pending = (health.get("outbox") or {}).get("pending")
            minutes = round((now - oldest) / 60)
            out.append(_alert("backlog", bus, "warning",
                              f"车上有 {pending} 条记录 {minutes} 分钟未上传 / "
                              f"{pending} events not uploaded for {minutes} min",
                              oldest))
    for c in open_cases:  # hq.cases: an overdue case is escalated to the admins
        overdue = c["due"] < now
        zh, en = c["status_text"].split(" / ", 1)
        late_zh, late_en = ("，已超期，已上报管理员", " (overdue: escalated to the admins)") if overdue else ("", "")
        out.append(_alert("rating", c["bus"], "error" if overdue else "warning",
                          f"差评{zh} {c['number'] or ''}（{c['level_text']}）{late_zh} / bad rating {en}{late_en}",
                          c["ts"], case=c["id"], **({"escalate_to": "admin"} if overdue else {})))
    return out


def accepted_overdue(cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """受理 cases past their promised date and not yet 办结 (``hq.accepted``)."""
    return [_alert("accepted", c["bus"], "error",
                   f"受理件超期未办结 {c['case_no'] or ''}（{c['department'] or ''}，承诺 {c['promised_date']}）/ "
                   f"accepted case overdue (promised {c['promised_date']})", c["ts"], case=c["id"])
            for c in cases if c["overdue"]]


def _alert(kind: str, bus: str, severity: str, text: str, since: float | None, **extra: Any) -> dict[str, Any]:
    return {"kind": kind, "bus": bus, "severity": severity, "text": text, "since": since, **extra}
