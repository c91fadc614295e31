"""One measured kiosk run in its own process (Kivy owns one window per process).

``python -m bench.kiosk_probe SCENARIO`` prints one JSON line:
- ``bare``: a bare Kivy app with one Label (the baseline): first frame, RSS, frame gaps while idle.
- ``resident`` / ``crew`` / ``display``: that role, idle; with ``--print`` the resident takes a
  ticket every 0.7 s (printed over TCP to the virtual printer named by ZTC_DEVICES__…, or with
  ``--no-printer`` the same flow handed to a printer that does nothing: the baseline); with
  ``--camera`` the crew role shows the live camera preview.
Times are from interpreter start (``--t0``, passed by the parent) to the first frame.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("scenario", choices=["bare", "resident", "crew", "display"])
    p.add_argument("--t0", type=float, required=True)
    p.add_argument("--seconds", type=float, default=4.0)
    p.add_argument("--print", dest="printing", action="store_true")
    p.add_argument("--no-printer", action="store_true", help="same resident flow, tickets not sent anywhere")
    p.add_argument("--camera", action="store_true")
    args = p.parse_args()

    from kiosk.kivy_setup import configure

    configure(fullscreen=False)
    from kivy.app import App
    from kivy.clock import Clock

    result: dict = {}
    gaps: list[float] = []
    state = {"last": None, "measuring": False}

    def frame(_dt: float) -> None:
        now = time.perf_counter()
        if state["measuring"] and state["last"] is not None:
            gaps.append((now - state["last"]) * 1000)
        state["last"] = now

    def first_frame(_dt: float) -> None:
        result["first_frame_s"] = time.time() - args.t0
        result["rss_mb"] = rss_mb()
        Clock.schedule_interval(frame, 0)
        Clock.schedule_once(start_measuring, 1.0)  # let start-up work (state read, fonts) settle

    def start_measuring(_dt: float) -> None:
        state["measuring"] = True
        if args.printing:
            Clock.schedule_interval(take_ticket, 0.7)
        Clock.schedule_once(finish, args.seconds)

    def finish(_dt: float) -> None:
        result["max_gap_ms"] = max(gaps) if gaps else None
        result["frames"] = len(gaps)
        result["rss_end_mb"] = rss_mb()
        if app_holder:
            app = app_holder[0]
            result["printed"] = app.services.get("printed_count", 0)
            if args.camera:
                result["preview_frames"] = app.sm.get_screen("camera").frames_drawn
        App.get_running_app().stop()

    app_holder: list = []

    def take_ticket(_dt: float) -> None:
        app = app_holder[0]
        app.flow.update(prefix="F", item=None, priority=False)
        app.go("confirm")
        app.sm.get_screen("confirm").take()

    if args.scenario == "bare":
        from kivy.uix.label import Label

        class Bare(App):
            def build(self) -> Label:
                return Label(text="bare")

        app = Bare()
    else:
        from kiosk.app import KioskApp
        from ztc.db import open_database
        from ztc.domain.engine import QueueEngine
        from ztc.settings import load_settings

        settings = load_settings()
        engine = QueueEngine(open_database(settings.db_path), settings)
        if engine.current_visit() is None:
            engine.arrive_adhoc("基准测试点")
        services: dict = {}
        if args.no_printer:
            services["printer"] = lambda ticket, copy: None  # the same screens and database work, no device
        if args.scenario == "display":
            from kiosk.voice import Announcer

            services["announcer"] = Announcer(out_dir=Path(tempfile.mkdtemp()), play=False)
        app = KioskApp(args.scenario, settings, services=services)
        app_holder.append(app)
        if args.camera:
            def to_camera(_dt: float) -> None:
                app.flow.update(crew="1", window=1)
                app.go("camera")

            Clock.schedule_once(to_camera, 0.5)
        if args.printing:
            def count_prints(_dt: float) -> None:
                printer = app.services["printing"]
                original = printer.print_ticket

                def counted(ticket: dict, copy: bool = False) -> int:
                    n = original(ticket, copy)
                    app.services["printed_count"] = app.services.get("printed_count", 0) + 1
                    return n

                printer.print_ticket = counted

            Clock.schedule_once(count_prints, 0)
    Clock.schedule_once(lambda _dt: Clock.schedule_once(first_frame, 0), 0)
    app.run()
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
    sys.exit(main())
