"""``ztc gps watch``: show the receiver's fixes and the stops they add up to, so the crew can check
the GPS without headquarters. Detect-only: it never opens or closes a stop visit."""
from __future__ import annotations

import argparse
import datetime as dt
import json
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from typing import Any

from drivers.gps import Fix, GpsdSource
from telemetry.stops import StopDetector, StopEvent
from ztc.domain.schedule import PlannedVisit, planned_visits
from ztc.settings import Settings
from ztc_cli.commands import add_json_flag, settings_from

STATUS_EVERY_S = 10.0   # without fixes, repeat the receiver's state this often

KIND_TEXT = {
    "arrived": "到站 / arrived",
    "departed": "离站 / departed",
    "departure_pending": "离站待处理 / departure pending",
    "arrival_skipped": "未记到站 / arrival not recorded",
    "crew_closed": "工作人员已结束 / closed by crew",
}


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("gps", help="GPS receiver: watch fixes and detected stops")
    gsub = p.add_subparsers(dest="gps_command", metavar="ACTION", required=True)
    watch = gsub.add_parser("watch", help="print fixes and detected stop arrivals/departures (changes nothing)")
    add_json_flag(watch)
    watch.add_argument("--count", type=int, metavar="N", help="stop after N fixes")
    watch.add_argument("--seconds", type=float, metavar="S", help="stop after S seconds")
    watch.add_argument("--host", help="gpsd host (default: gps.host from the configuration)")
    watch.add_argument("--port", type=int, help="gpsd port (default: gps.port)")
    watch.set_defaults(func=watch_cmd)


def _plan(settings: Settings) -> Callable[[float], list[PlannedVisit]]:
    """Today's plan read-only from the bus database when there is one, else the route template."""

    def plan(now: float) -> list[PlannedVisit]:
        path = settings.db_path
        if path.exists():
            try:
                conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
                try:
                    return planned_visits(conn, settings, now, days=1)
                finally:
                    conn.close()
            except sqlite3.Error:
                pass
        conn = sqlite3.connect(":memory:")
        conn.execute("CREATE TABLE documents (kind TEXT, body TEXT)")
        return planned_visits(conn, settings, now, days=1)

    return plan


def _late_text(late_s: float | None) -> str:
    if late_s is None:
        return ""
    minutes = round(abs(late_s) / 60)
    if minutes == 0:
        return "，准点 / on time"
    if late_s > 0:
        return f"，晚 {minutes} 分钟 / {minutes} min late"
    return f"，早 {minutes} 分钟 / {minutes} min early"


def _fix_text(fix: Fix, settings: Settings) -> str:
    when = dt.datetime.fromtimestamp(fix.ts, settings.tz).strftime("%H:%M:%S")
    speed = "速度未知 / speed unknown" if fix.speed is None else f"{fix.speed * 3.6:.1f} km/h"
    heading = "航向未知 / heading unknown" if fix.track is None else f"航向 / heading {fix.track:.0f}°"
    parts = [when, f"{fix.lat:.6f}, {fix.lon:.6f}", f"{fix.mode}D", speed, heading]
    if fix.eph is not None:
        parts.append(f"±{fix.eph:.0f} m")
    if fix.sats is not None:
        parts.append(f"{fix.sats} 颗卫星 / sats")
    return "  ".join(parts)


def _event_text(event: StopEvent) -> str:
    text = f"{KIND_TEXT.get(event.kind, event.kind)}: {event.name} ({event.stop}){_late_text(event.late_s)}"
    return text + (f" — {event.detail}" if event.detail else "")


def _status_text(status: dict[str, Any]) -> str:
    drift = status.get("clock_drift_s")
    extra = f", 时钟偏差 / clock drift {drift:+.1f} s" if drift is not None else ""
    return (f"GPS {status['state']}: {status['detail']} (定位 / fixes {status['fixes']}, "
            f"拒绝 / rejected {sum(status['rejected'].values())}, 重连 / reconnects {status['reconnects']}{extra})")


def watch_cmd(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    source = GpsdSource.from_settings(settings.gps)
    source.host = args.host or source.host
    source.port = args.port or source.port
    detector = StopDetector(settings.telemetry.stops, _plan(settings))
    items: queue.Queue[tuple[str, Any]] = queue.Queue()

    def read() -> None:
        # Device I/O in its own thread: the main thread stays free for Ctrl-C and the deadline.
        for fix in source.fixes():
            items.put(("fix", fix))
            for event in detector.update(fix):
                items.put(("stop", event))
        items.put(("end", None))

    def out(kind: str, data: dict[str, Any], text: str) -> None:
        if args.json:
            print(json.dumps({"type": kind, **data}, ensure_ascii=False), flush=True)
        else:
            print(text, flush=True)

    threading.Thread(target=read, name="gps-watch", daemon=True).start()
    deadline = time.monotonic() + args.seconds if args.seconds else None
    fixes, last_state, last_status_at = 0, None, time.monotonic()
    try:
        while True:
            if deadline is not None and time.monotonic() >= deadline:
                break
            try:
                kind, item = items.get(timeout=0.5)
            except queue.Empty:
                kind, item = "idle", None
            if kind == "end":
                break
            if kind == "fix":
                fixes += 1
                out("fix", item.to_dict(), _fix_text(item, settings))
            elif kind == "stop":
                out("stop", item.to_dict(), _event_text(item))
            status = source.get_status()
            quiet = time.monotonic() - last_status_at >= STATUS_EVERY_S and kind == "idle"
            if status["state"] != last_state or quiet:
                out("status", status, _status_text(status))
                last_state, last_status_at = status["state"], time.monotonic()
            if args.count and fixes >= args.count:
                break
    except KeyboardInterrupt:
        pass
    finally:
        status = source.get_status()  # before stopping: stopping disconnects
        source.stop()
    out("status", status, _status_text(status))
    return 0 if fixes else 1
