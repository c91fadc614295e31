"""``ztc devices …``: device health, a test ticket, and the virtual ticket printer.

The ticket printer has one owner, the resident kiosk: ``status`` reads its state from the bus
database and ``test-print`` asks the kiosk to print. ``--direct`` opens the printer from here
instead, for set-up only, when no resident kiosk runs.
"""
from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import tempfile
import threading
from pathlib import Path

from ztc.settings import Settings
from ztc_cli.commands import add_json_flag, emit, settings_from

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("devices", help="device status, test prints, device simulators")
    dsub = p.add_subparsers(dest="devices_command", metavar="ACTION", required=True)

    status = dsub.add_parser("status", help="every configured device with its state")
    status.add_argument("--direct", action="store_true",
                        help="open the ticket printer from here (set-up only, when no resident kiosk runs)")
    add_json_flag(status)
    status.set_defaults(func=status_cmd)

    test = dsub.add_parser("test-print", help="print a sample on a device")
    test.add_argument("what", choices=["ticket"], help="ticket: a sample queue ticket on the ticket printer")
    test.add_argument("--number", default="A001", help="number on the sample ticket (default A001)")
    test.add_argument("--copy", action="store_true", help="mark it as a reprint (副本 / COPY)")
    test.add_argument("--mode", choices=["raster", "native"], help="override devices.ticket_printer.text_mode")
    test.add_argument("--direct", action="store_true", help="open the ticket printer from here (set-up only, "
                      "when no resident kiosk runs; --number, --copy and --mode apply only then)")
    add_json_flag(test)
    test.set_defaults(func=test_print_cmd)

    sim = dsub.add_parser("sim-printer", help="run the virtual ESC/POS ticket printer")
    sim.add_argument("--tcp", type=int, metavar="PORT", help="listen like a network printer on PORT")
    sim.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    sim.add_argument("--pty", action="store_true", help="also act as a serial printer on a pseudo-terminal")
    sim.add_argument("--pty-link", type=Path, help="symlink naming the pseudo-terminal (like /dev/serial/by-id/…)")
    sim.add_argument("--width", type=int, choices=[58, 80], default=80, help="paper width in mm")
    sim.add_argument("--out", type=Path, help="folder for the PNG of each ticket "
                     "(default: $ZTC_ARTIFACTS/printer or a temp folder)")
    sim.add_argument("--paper", choices=["ok", "near_end", "out"], default="ok", help="fault: paper state")
    sim.add_argument("--cover-open", action="store_true", help="fault: cover open")
    sim.add_argument("--silent", action="store_true", help="fault: never answer status queries")
    sim.add_argument("--drop-after", type=int, metavar="BYTES", help="fault: drop the link once after BYTES")
    sim.add_argument("--bps", type=float, metavar="BYTES_PER_S", help="fault: slow line")
    sim.set_defaults(func=sim_printer_cmd)


def status_cmd(args: argparse.Namespace) -> int:
    from drivers.registry import device_statuses

    settings = settings_from(args)
    statuses = device_statuses(settings, probe_owned=args.direct)
    lines = [f"{name:<16} {s['state']:<9} {s['detail']}" for name, s in statuses.items()]
    emit(args, statuses, "\n".join(lines))
    return 0


def test_print_cmd(args: argparse.Namespace) -> int:
    from drivers.registry import open_ticket_printer
    from drivers.ticket_printer.content import TicketContent

    settings = settings_from(args)
    if not args.direct:
        return _request_test_print(args, settings)
    try:
        content = TicketContent.sample(settings, number=args.number.upper())
    except Exception as e:
        return _fail(args, f"样票无法生成 / cannot build the sample ticket: {e}")
    if args.copy:
        from dataclasses import replace

        content = replace(content, copy=True)
    overrides = {"text_mode": args.mode} if args.mode else {}
    printer = open_ticket_printer(settings, poll_interval_s=None, **overrides)
    try:
        job = printer.submit(content)
        job.wait()
        status = printer.get_status()
    finally:
        printer.close()
    result = {"ok": job.state == "done", "job": job.to_dict(), "status": status}
    if job.state == "done":
        note = "" if job.confirmed else "（打印机未确认 / not confirmed by the printer）"
        emit(args, result, f"样票 {content.number} 已发送 / sample ticket sent ({job.bytes_sent} bytes, "
                           f"{printer.text_mode}, {printer.paper_width_mm} mm) to {printer.transport.name}{note}")
        return 0
    emit(args, result, f"样票打印失败 / test print failed: {job.error}")
    return 1


def _request_test_print(args: argparse.Namespace, settings: Settings) -> int:
    """The resident kiosk owns the printer: ask it for the sample (a print request) and wait."""
    from ztc.db import device_health, open_database, print_requests

    db = open_database(settings.db_path)
    try:
        if device_health.read(db, ("ticket_printer",))["ticket_printer"].get("stale"):
            return _fail(args, "前台未运行，号票机无人负责；设置时可用 --direct 直接打印 / "
                               "no resident kiosk is running (it owns the ticket printer); "
                               "for set-up without it, use --direct")
        req = print_requests.wait(db, print_requests.request(db, "test", None, "cli"))
    finally:
        db.close()
    result = {"ok": req.state == "done", "request": req.__dict__}
    if req.state == "done":
        emit(args, result, f"样票 {req.detail} 已由前台打印 / sample ticket printed by the resident kiosk")
        return 0
    emit(args, result, f"样票未打印 / test print not done ({req.state}): {req.detail}")
    return 1


def _fail(args: argparse.Namespace, message: str) -> int:
    emit(args, {"ok": False, "message": message}, message)
    return 1


def sim_printer_cmd(args: argparse.Namespace) -> int:
    from drivers.ticket_printer.virtual import Faults, VirtualPrinter

    if args.tcp is None and not args.pty:
        print("请指定 --tcp PORT 和/或 --pty / give --tcp PORT and/or --pty", file=sys.stderr)
        return 2
    out = args.out or Path(os.environ.get("ZTC_ARTIFACTS") or tempfile.mkdtemp(prefix="ztc-sim-")) / "printer"
    faults = Faults(paper=args.paper, cover_open=args.cover_open, silent=args.silent,
                    drop_after_bytes=args.drop_after, bytes_per_s=args.bps)
    sim = VirtualPrinter(out, width_dots=576 if args.width == 80 else 384, faults=faults)
    try:
        if args.tcp is not None:
            port = sim.start_tcp(args.host, args.tcp)
            print(f"虚拟打印机 / virtual printer: tcp://{args.host}:{port}", flush=True)
        if args.pty:
            path = sim.start_pty(args.pty_link)
            print(f"虚拟打印机 / virtual printer: serial {path}", flush=True)
    except OSError as e:
        print(f"虚拟打印机无法启动 / virtual printer cannot start: {e}", file=sys.stderr)
        sim.stop()
        return 1
    print(f"票面图片 / ticket pictures: {out}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    seen = 0
    try:
        while not stop.is_set():
            tickets = sim.wait_for_tickets(seen + 1, timeout=0.5)
            for t in tickets[seen:]:
                seen += 1
                first = next((line for line in t.lines() if line.strip()), "(image)")
                print(f"ticket {seen}: {first} · {t.bytes_received} bytes → {t.png}", flush=True)
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()
    return 0
