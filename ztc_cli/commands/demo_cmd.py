"""``ztc demo [--headless]``: the whole product on this machine with simulated devices (``make run``)."""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("demo", help="run everything with simulated devices: broker, GPS, printer, HQ, agent, kiosks",
                       description="Start mosquitto, gpsd+gpsfake, the virtual ticket printer, HQ, the agent and "
                                   "the three kiosk roles; Ctrl-C stops them all.")
    p.add_argument("--headless", action="store_true", help="kiosks on virtual screens (Xvfb), no display needed")
    p.add_argument("--screenshots", type=Path, metavar="DIR", help="headless: save a PNG of each kiosk role here")
    p.add_argument("--seconds", type=float, metavar="N", help="stop by itself after N seconds")
    p.add_argument("--data-dir", type=Path, metavar="DIR", help="folder for bus and HQ data (default: a temp folder)")
    p.add_argument("--size", default="1280x800", help="kiosk window size WIDTHxHEIGHT")
    p.add_argument("--gps-cycle", type=float, default=0.25, metavar="S",
                   help="seconds per NMEA sentence of the sample day (0.25 ≈ real time)")
    p.set_defaults(func=demo_cmd)


def demo_cmd(args: argparse.Namespace) -> int:
    from ztc_cli.demo.plan import DemoPlan, Ports, gps_day
    from ztc_cli.demo.runner import DemoOptions, missing_tools, run

    missing = missing_tools(args.headless)
    if missing:
        print(f"缺少程序 / missing programs: {', '.join(missing)} — run scripts/setup-system.sh", file=sys.stderr)
        return 2
    if not gps_day().is_file():
        print(f"找不到GPS样例 / GPS sample day not found: {gps_day()} (set ZTC_SHARED_DIR)", file=sys.stderr)
        return 2
    display = os.environ.get("DISPLAY")
    if not args.headless and not display:
        print("没有显示器 / no display (DISPLAY is not set): use `ztc demo --headless`", file=sys.stderr)
        return 2
    if args.screenshots and not args.headless:
        print("--screenshots 需要 --headless / --screenshots needs --headless", file=sys.stderr)
        return 2
    work = (args.data_dir or Path(tempfile.mkdtemp(prefix="ztc-demo-"))).resolve()
    work.mkdir(parents=True, exist_ok=True)
    config = os.path.abspath(args.config) if getattr(args, "config", None) else os.environ.get("ZTC_CONFIG")
    plan = DemoPlan(work=work, ports=Ports.pick(), config=config, gps_cycle_s=args.gps_cycle)
    shots = args.screenshots.resolve() if args.screenshots else None
    return run(DemoOptions(plan, args.headless, shots, args.seconds, args.size), display)
