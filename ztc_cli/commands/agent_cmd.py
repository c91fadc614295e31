"""``ztc agent``: the bus's telemetry agent (GPS, stop detection, outbox drain, MQTT uplink).

Run by systemd (Type=notify, WatchdogSec): READY once the database is open, WATCHDOG pings from
the main loop. Keeps running with no broker (reconnects with backoff) and with no gpsd.
"""
from __future__ import annotations

import argparse
import logging
import signal
import threading
import uuid
from typing import Any

from ztc.db import StorageError, open_database
from ztc_cli.commands import settings_from

AGENT_OPEN_WAIT_S = 45.0

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("agent", help="run the telemetry agent: GPS, stops, outbox drain, MQTT uplink")
    p.add_argument("--no-gps", action="store_true", help="run without gpsd (no positions, no stop detection)")
    p.set_defaults(func=agent_cmd)


def agent_cmd(args: argparse.Namespace) -> int:
    from drivers.gps import GpsdSource
    from telemetry.agent import Agent, build_link, software_version
    from telemetry.notify import Notifier
    from ztc.domain.engine import QueueEngine

    settings = settings_from(args)
    notifier = Notifier()
    try:
        # within the unit's TimeoutStartSec=60: a lock held longer ends in the clear "busy" message
        # (and systemd's restart), not in a kill before anything is said
        db = open_database(settings.db_path, wait_s=AGENT_OPEN_WAIT_S)
    except StorageError as e:
        print(f"数据库无法打开 / cannot open the database: {e}")
        return 3
    notifier.ready(f"database open: {settings.db_path}")
    sw = software_version()
    boot = str(uuid.uuid4())
    gps = None if args.no_gps else GpsdSource.from_settings(settings.gps)
    agent = Agent(settings, db, build_link(settings, sw, boot), QueueEngine(db, settings),
                  fixes=gps.fixes() if gps else None, notifier=notifier, sw=sw, boot=boot,
                  gps_status=gps.get_status if gps else None)
    stop = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    log.info("agent %s starting for bus %s (boot %s)", sw, settings.bus.id, boot)
    try:
        agent.run(stop)
    finally:
        if gps is not None:
            gps.stop()
        agent.shutdown()
        db.close()
    return 0
