"""``ztc kiosk --role resident|crew|display``: the Kivy touchscreen application.

Also ``ztc kiosk --set-pin CREW`` to set a crew member's PIN (asked twice, stored hashed).
"""
from __future__ import annotations

import argparse
import getpass
import logging
import sys
import time

from ztc.settings import Settings
from ztc_cli.commands import settings_from

log = logging.getLogger(__name__)
STARTED = time.time()


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("kiosk", help="the touchscreen kiosk (resident, crew or display role)",
                       description="Run one role of the kiosk, fullscreen on the bus or --windowed for development.")
    p.add_argument("--role", choices=["resident", "crew", "display"], help="which screen this process drives")
    p.add_argument("--windowed", action="store_true", help="a window instead of fullscreen (development)")
    p.add_argument("--size", default="1280x800", help="window size WIDTHxHEIGHT (windowed)")
    p.add_argument("--set-pin", metavar="CREW", help="set the PIN of crew number CREW (asked twice) and exit")
    # For the benchmark: report the time to the first frame and quit (not a resident exit path).
    p.add_argument("--bench-first-frame", action="store_true", help=argparse.SUPPRESS)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    if args.set_pin:
        return _set_pin(settings, args.set_pin)
    if not args.role:
        print("请用 --role 选择角色 / choose a role with --role resident|crew|display", file=sys.stderr)
        return 2
    try:
        width, height = (int(v) for v in args.size.lower().split("x"))
    except ValueError:
        print(f"窗口大小格式不对 / --size must be WIDTHxHEIGHT, got {args.size!r}", file=sys.stderr)
        return 2
    from kiosk.kivy_setup import configure

    configure(fullscreen=settings.kiosk.fullscreen and not args.windowed, width=width, height=height,
              multisamples=settings.kiosk.multisamples)
    from kiosk.app import KioskApp

    app = KioskApp(args.role, settings)
    if args.bench_first_frame:
        from kivy.clock import Clock  # type: ignore[import-untyped]  # Kivy ships no type information

        def report(_dt: float) -> None:
            print(f"first_frame_s={time.time() - STARTED:.3f}", flush=True)
            app.stop()

        Clock.schedule_once(lambda _dt: Clock.schedule_once(report, 0), 0)
    app.run()
    return 0


def _set_pin(settings: Settings, crew: str) -> int:
    from ztc.db import StorageError, open_database
    from ztc.domain.crew import CrewAccounts

    first = getpass.getpass(f"工号 {crew} 的新密码 / new PIN for crew {crew}: ")
    second = getpass.getpass("再输一次 / again: ")
    if first != second:
        print("两次输入不一致 / the two PINs differ", file=sys.stderr)
        return 1
    try:
        CrewAccounts(open_database(settings.db_path)).set_pin(crew, first)  # lockout matters only for verify
    except (ValueError, StorageError) as e:
        print(str(e), file=sys.stderr)
        return 1
    print(f"已设置 / PIN set for crew {crew}")
    return 0
