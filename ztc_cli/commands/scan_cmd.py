"""``ztc scan`` (camera photos or files → straightened A4 PDF) and ``ztc print`` (A4 via CUPS).

``ztc scan`` runs exactly the pipeline the crew screen runs on camera frames, so a problem seen
on the bus can be reproduced from the saved photos.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ztc.documents.modes import MODES
from ztc_cli.commands import add_json_flag, emit, fail, settings_from


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("scan", help="扫描 / straighten photos of documents into one A4 PDF")
    p.add_argument("images", nargs="+", metavar="IMAGE", help="photos (JPEG/PNG) of the pages, in order")
    p.add_argument("--output", "-o", required=True, metavar="OUT.pdf", help="the PDF to write")
    p.add_argument("--mode", choices=MODES, default="color",
                   help="color (default), gray, or bw (black text on white, smallest file)")
    p.add_argument("--id-card", action="store_true",
                   help="身份证复印: exactly two images (front, back) on one A4 page at true size")
    add_json_flag(p)
    p.set_defaults(func=scan_cmd)

    pr = sub.add_parser("print", help="打印 / print PDFs or images on the A4 printer (CUPS)")
    pr.add_argument("files", nargs="+", metavar="FILE")
    pr.add_argument("--copies", "-n", type=int, default=1)
    pr.add_argument("--duplex", action=argparse.BooleanOptionalAction, default=None,
                    help="two-sided (default: devices.a4_printer.duplex)")
    pr.add_argument("--wait", action="store_true", help="wait until every job has printed")
    add_json_flag(pr)
    pr.set_defaults(func=print_cmd)

    sc = sub.add_parser("scans", help="stored scans under data_dir")
    ssub = sc.add_subparsers(dest="scans_command", metavar="ACTION", required=True)
    purge = ssub.add_parser("purge", help="delete scans past devices.camera.scan_retention_days whose "
                                          "service record headquarters has acknowledged (run daily)")
    add_json_flag(purge)
    purge.set_defaults(func=purge_cmd)


def scan_cmd(args: argparse.Namespace) -> int:
    from ztc.documents.idcard import id_card_page
    from ztc.documents.pipeline import decode_image, pages_to_pdf, process_frame

    frames = []
    for name in args.images:
        try:
            frames.append(decode_image(Path(name).read_bytes(), name))
        except OSError as e:
            return fail(args, "unreadable", f"无法读取 {name} / cannot read {name}: {e.strerror}", 2)
        except ValueError as e:
            return fail(args, "not_an_image", str(e), 2)
    if args.id_card:
        if len(frames) != 2:
            return fail(args, "id_card_needs_two",
                        "身份证复印需要正反两张图片 / --id-card needs two images: front, back", 2)
        pages = [id_card_page(frames[0], frames[1], args.mode)]
    else:
        pages = [process_frame(f, args.mode) for f in frames]
    out = Path(args.output)
    try:
        out.write_bytes(pages_to_pdf(pages, title=out.stem))
    except OSError as e:
        return fail(args, "cannot_write", f"无法写入 {out} / cannot write {out}: {e.strerror}", 1)
    result = {"ok": True, "output": str(out), "pages": len(pages), "mode": args.mode,
              "found": [p.found for p in pages],
              "notes": [f"{name}: {p.note}" for name, p in zip(args.images, pages, strict=False) if p.note]}
    for note in result["notes"]:
        print(note, file=sys.stderr)
    emit(args, result, f"已生成 {out}（{len(pages)} 页） / wrote {out} ({len(pages)} page(s))")
    return 0


def print_cmd(args: argparse.Namespace) -> int:
    from drivers.a4_printer import A4Printer, PrinterError

    printer = A4Printer.from_settings(settings_from(args).devices.a4_printer)
    jobs = []
    try:
        for name in args.files:
            job_id = printer.submit(name, copies=args.copies, duplex=args.duplex)
            jobs.append({"file": name, "job_id": job_id})
            if args.wait:
                state = printer.wait(job_id)
                jobs[-1]["state"] = state.state
    except PrinterError as e:
        return fail(args, e.code, str(e), 1)
    emit(args, {"ok": True, "jobs": jobs},
         "\n".join(f"{j['file']}: 打印任务 / job {j['job_id']} {j.get('state', 'queued')}" for j in jobs))
    return 0


def purge_cmd(args: argparse.Namespace) -> int:
    from ztc.db import StorageError, open_database
    from ztc.documents.storage import ScanStore

    settings = settings_from(args)
    try:
        db = open_database(settings.db_path)
    except StorageError as e:
        return fail(args, "storage", str(e), 1)
    try:
        store = ScanStore(db, settings.data_dir, settings.devices.camera.scan_retention_days)
        deleted = store.purge()
    finally:
        db.close()
    emit(args, {"ok": True, "deleted": deleted}, f"已删除 {deleted} 份扫描 / deleted {deleted} scan(s)")
    return 0
