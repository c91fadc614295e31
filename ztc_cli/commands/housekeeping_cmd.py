"""``ztc housekeeping``: purge expired personal data and compact the bus database (daily timer)."""
from __future__ import annotations

import argparse
import time

from ztc import housekeeping
from ztc.db import StorageError, open_database
from ztc_cli.commands import add_json_flag, emit, fail, settings_from


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("housekeeping", help="purge expired scans and appointments, checkpoint and vacuum the "
                                            "bus database (run daily by ztc-housekeeping.timer)")
    add_json_flag(p)
    p.set_defaults(func=run_cmd)


def run_cmd(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    try:
        db = open_database(settings.db_path)
        try:
            result = housekeeping.run(db, settings, time.time())
        finally:
            db.close()
    except StorageError as e:
        return fail(args, "storage", str(e), 3)
    emit(args, {"ok": True, **result},
         f"扫描件删除 / scans purged: {result['scans_purged']}, 预约删除 / appointments deleted: "
         f"{result['appointments_deleted']}, 压缩 / vacuumed: {result['vacuumed']}")
    return 0
