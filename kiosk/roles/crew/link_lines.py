"""The devices tab's GPS and uplink lines, worded from the agent's state file and the outbox.

Why its own module, without Kivy: what the crew read about the link and the GPS is a small piece of
logic (stale agent, never acknowledged, between stops, departure waiting for the crew) that is
tested on its own; the screen only lays the lines out. The crew cannot mend a link, so the
uplink lines say plainly that nothing is lost while it is down.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from kiosk.i18n import bilingual, t
from ztc.agent_state import AgentState


def hms(ts: float, tz: dt.tzinfo) -> str:
    return dt.datetime.fromtimestamp(ts, tz).strftime("%H:%M:%S")


def uplink_lines(agent: AgentState | None, outbox: dict[str, Any] | None, lang: str, now: float,
                 tz: dt.tzinfo) -> list[str]:
    """Connected or not (since when), the last acknowledgement, and what still waits for HQ."""
    lines: list[str] = []
    if agent is not None:
        if agent.problem is not None:
            lines.append(t("uplink_agent_problem", lang, problem=agent.problem[1 if lang == "en" else 0]))
        if agent.state is not None and agent.fresh:
            link = agent.state.get("link") or {}
            since = link.get("since")
            when = hms(since, tz) if isinstance(since, int | float) else "-"
            lines.append(t("uplink_connected" if link.get("connected") else "uplink_disconnected", lang, since=when))
            acked = link.get("last_ack_at")
            if isinstance(acked, int | float):
                lines.append(t("uplink_last_ack", lang, at=hms(acked, tz), seq=link.get("acked_upto", 0)))
            else:
                lines.append(t("uplink_never_acked", lang))
    if outbox is not None:
        if not outbox["pending"]:
            lines.append(t("uplink_clear", lang))
        else:
            age_min = max(0, int((now - float(outbox["oldest_ts"])) // 60))
            lines.append(t("uplink_pending", lang, n=outbox["pending"], m=age_min))
    return lines


def gps_lines(agent: AgentState | None, lang: str, tz: dt.tzinfo,
              stop_name: Callable[[str, str], str]) -> list[str]:
    """The receiver's fix and where stop detection thinks the bus is (``stop_name(id, fallback)``)."""
    if agent is None or agent.state is None or not agent.fresh:
        return [t("gps_unknown", lang)] if agent is not None else []
    gps = agent.state.get("gps") or {}
    device = gps.get("device") or {}
    fix = gps.get("fix")
    lines: list[str] = []
    if fix and device.get("state") in ("ok", "degraded", None) and (device.get("fix_age_s") or 0) <= 30:
        sats = fix.get("sats")
        lines.append(t("gps_fix", lang, mode=fix.get("mode"), sats="-" if sats is None else sats,
                       lat=f"{fix['lat']:.5f}", lon=f"{fix['lon']:.5f}", at=hms(fix["ts"], tz)))
        if device.get("state") == "degraded":
            lines.append(t("gps_warning", lang, detail=bilingual(str(device.get("detail", "")), lang)))
    else:
        detail = bilingual(str(device.get("detail", "")), lang) if device else t("gps_no_receiver", lang)
        lines.append(t("gps_no_fix", lang, detail=detail))
    if gps.get("stop"):
        lines.append(t("gps_at_stop", lang, stop=stop_name(gps["stop"], gps.get("stop_name") or gps["stop"])))
    else:
        schedule = gps.get("schedule")
        if schedule:
            lines.append(t("gps_next_stop", lang,
                           stop=stop_name(schedule["next_stop"], schedule.get("next_name") or schedule["next_stop"]),
                           at=dt.datetime.fromtimestamp(schedule["planned_arrive"], tz).strftime("%H:%M")))
        else:
            lines.append(t("gps_between", lang))
    if gps.get("departure_pending"):
        lines.append(t("gps_departure_pending", lang))
    return lines
