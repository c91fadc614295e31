"""``ztc hq``: the headquarters ingest (MQTT → database → acks), the HTTP API and the web pages in
one process, or split (``--ingest-only``, ``--web-only``) over several on PostgreSQL;
``ztc hq user add NAME --role admin`` creates staff accounts (the first one too);
``ztc hq housekeeping``, ``ztc hq backup FILE`` and ``ztc hq restore FILE`` look after the database."""
from __future__ import annotations

import argparse
import getpass
import logging
import sys
import threading
import time
from pathlib import Path

from ztc_cli.commands import add_json_flag, emit, settings_from

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("hq", help="run headquarters: ingest every bus over MQTT and serve the API and dashboard")
    p.add_argument("--ingest-only", action="store_true",
                   help="ingest only, no HTTP server (run N of them with hq.ingest_group set, on PostgreSQL)")
    p.add_argument("--no-api", action="store_true", help=argparse.SUPPRESS)  # the former name of --ingest-only
    p.add_argument("--web-only", action="store_true",
                   help="API and dashboard only, no ingest (PostgreSQL; live updates arrive by LISTEN/NOTIFY)")
    p.set_defaults(func=hq_cmd)
    hq_sub = p.add_subparsers(dest="hq_command", metavar="SUBCOMMAND")
    user = hq_sub.add_parser("user", help="staff accounts of the dashboard")
    user_sub = user.add_subparsers(dest="user_command", metavar="ACTION", required=True)
    add = user_sub.add_parser("add", help="create an account (password from a prompt, or one line on stdin)")
    add.add_argument("name")
    add.add_argument("--role", choices=["admin", "operator"], default="operator")
    add.set_defaults(func=user_add_cmd)
    ls = user_sub.add_parser("list", help="list accounts and roles")
    ls.set_defaults(func=user_list_cmd)
    hk = hq_sub.add_parser("housekeeping", help="delete callback numbers past retention, escalate overdue "
                                                "bad-rating cases, purge audit rows past 180 days and expired "
                                                "sessions, drop positions older than hq.position_retention_days "
                                                "(monthly partitions on PostgreSQL); ztc hq runs it hourly")
    add_json_flag(hk)
    hk.set_defaults(func=housekeeping_cmd)
    rep = hq_sub.add_parser("report", help="make the regular reports (定期通报): --due (the timer) or one period")
    rep.add_argument("--due", action="store_true", help="the last complete week and month, each once")
    rep.add_argument("--kind", choices=["week", "month"], default="month")
    rep.add_argument("--date", help="a day in the period, YYYY-MM-DD (default: today, county time)")
    rep.add_argument("--out", help="also write the PDF and CSV into this directory")
    rep.set_defaults(func=report_cmd)
    bk = hq_sub.add_parser("backup", help="a consistent copy of the HQ database while it runs "
                                          "(PostgreSQL: pg_dump custom format; SQLite: online backup)")
    bk.add_argument("file", type=Path)
    bk.set_defaults(func=backup_cmd)
    rs = hq_sub.add_parser("restore", help="put a backup into the (empty) database of hq.database_url")
    rs.add_argument("file", type=Path)
    rs.set_defaults(func=restore_cmd)


def _open_store(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from hq.storage import HqStorageError, HqStore

    settings = settings_from(args)
    try:
        return settings, HqStore.open(settings.hq.database_url)
    except HqStorageError as e:
        print(e, file=sys.stderr)
        return settings, None


def user_add_cmd(args: argparse.Namespace) -> int:
    from hq.auth import Accounts, AuthError

    _, store = _open_store(args)
    if store is None:
        return 3
    if sys.stdin.isatty():
        password = getpass.getpass("密码 / password: ")
        if getpass.getpass("再输入一次 / again: ") != password:
            print("两次输入不一致 / the passwords differ", file=sys.stderr)
            return 2
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    try:
        Accounts(store).add_user(args.name, args.role, password, time.time())
    except AuthError as e:
        print(e, file=sys.stderr)
        return 2
    finally:
        store.close()
    print(f"已创建 / created: {args.name} ({args.role})")
    return 0


def housekeeping_cmd(args: argparse.Namespace) -> int:
    from hq import housekeeping
    from hq.context import HqContext

    settings, store = _open_store(args)
    if store is None:
        return 3
    try:
        out = housekeeping.run(HqContext.build(store, settings.hq), time.time())
    finally:
        store.close()
    emit(args, {"ok": True, **out},
         f"回访电话删除 / numbers deleted: {out['numbers_deleted']}, 超期上报 / escalated: {out['escalated']}, "
         f"审计日志删除（超过保留期）/ audit rows past retention deleted: {out['audit_purged']}, "
         f"过期会话 / expired sessions: {out['sessions_ended']}; "
         f"位置删除 / positions deleted: {out['positions_deleted']}; 分区删除 / partitions dropped: "
         f"{', '.join(out.get('partitions_dropped', [])) or '-'}; 新建 / created: "
         f"{', '.join(out.get('partitions_created', [])) or '-'}")
    return 0


def user_list_cmd(args: argparse.Namespace) -> int:
    from hq.auth import Accounts

    _, store = _open_store(args)
    if store is None:
        return 3
    for u in Accounts(store).users():
        print(f"{u.name}\t{u.role}" + ("\tdisabled" if u.disabled else ""))
    store.close()
    return 0


def backup_cmd(args: argparse.Namespace) -> int:
    from hq.backup import BackupError, backup
    from hq.storage import redact_url

    settings = settings_from(args)
    try:
        path = backup(settings.hq.database_url, args.file)
    except BackupError as e:
        print(e, file=sys.stderr)
        return 3
    print(f"已备份 / backed up {redact_url(settings.hq.database_url)} to {path} ({path.stat().st_size} bytes)")
    return 0


def restore_cmd(args: argparse.Namespace) -> int:
    from hq.backup import BackupError, restore
    from hq.storage import redact_url

    settings = settings_from(args)
    try:
        restore(settings.hq.database_url, args.file)
    except BackupError as e:
        print(e, file=sys.stderr)
        return 3
    print(f"已恢复 / restored {args.file} into {redact_url(settings.hq.database_url)}")
    return 0


def report_cmd(args: argparse.Namespace) -> int:
    """Make and keep reports in the headquarters database (downloadable from the dashboard)."""
    from datetime import date, datetime
    from pathlib import Path

    from hq.context import HqContext
    from hq.followup_api import build_archive

    settings, store = _open_store(args)
    if store is None:
        return 3
    try:
        archive = build_archive(HqContext.build(store, settings.hq))
        now = time.time()
        if args.due:
            made = archive.due(now)
        else:
            try:
                anchor = date.fromisoformat(args.date) if args.date else datetime.fromtimestamp(now, archive.tz).date()
            except ValueError:
                print(f"日期无效 / invalid date: {args.date} (YYYY-MM-DD)", file=sys.stderr)
                return 2
            made = [archive.make(args.kind, anchor, "cli", now)]
        for m in made:
            print(f"{m['id']}\t{m['first']}..{m['last']}")
            if args.out:
                out = Path(args.out)
                out.mkdir(parents=True, exist_ok=True)
                for fmt in ("pdf", "csv"):
                    (out / f"ztc-{m['id']}.{fmt}").write_bytes(archive.file(m["id"], fmt) or b"")
        if not made:
            print("没有需要生成的报告 / no report due")
        return 0
    finally:
        store.close()


def hq_cmd(args: argparse.Namespace) -> int:
    """Ingest and web in one process (the default), or one of them: ``--ingest-only`` N times
    (``hq.ingest_group`` set) and ``--web-only`` M times share one PostgreSQL database."""
    import os

    import uvicorn

    os.umask(0o077)  # whatever headquarters writes (database, logs) is its own to read

    from hq.api import create_app
    from hq.context import HqContext
    from hq.documents import Documents
    from hq.ingest import Ingest, build_link, ingest_client_id
    from hq.live import LiveHub
    from hq.storage import HqStorageError, HqStore

    settings = settings_from(args)
    ingest_only = args.no_api or args.ingest_only
    web_only = args.web_only
    if ingest_only and web_only:
        print("--ingest-only 与 --web-only 不能同时使用 / --ingest-only and --web-only exclude each other")
        return 2
    url = settings.hq.database_url
    if (web_only or settings.hq.ingest_group) and not url.startswith("postgresql://"):
        print("多个总部进程需要 PostgreSQL / several headquarters processes need PostgreSQL "
              "(hq.database_url: postgresql://…); with SQLite run one 'ztc hq'")
        return 2
    try:
        store = None if web_only else HqStore.open(url, node=ingest_client_id(settings.hq))
        reader = None if ingest_only else HqStore.open(url)  # the web side's own connection
    except HqStorageError as e:
        print(e)
        return 3
    stop = threading.Event()
    hub = LiveHub()
    link = None if web_only else build_link(settings.hq)
    pg = url.startswith("postgresql://")
    notifier = listener = worker = None
    if store is not None and link is not None:
        if pg:  # dashboards of other processes: every update goes through PostgreSQL (ours: to the hub too)
            from hq.notify import Notifier
            notifier = Notifier(url, local=hub.publish if reader is not None else None)
        documents = Documents(store, lambda t, p, q, r: link.publish(t, p, qos=q, retain=r))
        ingest = Ingest(store, link, on_stored=notifier.publish if notifier else hub.publish,
                        periodic=lambda: store.run_alone("documents.flush", documents.flush))
        worker = threading.Thread(target=ingest.run, args=(stop,), name="ingest", daemon=True)
        worker.start()
    if reader is not None and pg:
        from hq.notify import Listener
        listener = Listener(url, hub.publish, own=notifier, wanted=lambda: hub.clients > 0)
    try:
        if reader is None:
            import signal
            signal.signal(signal.SIGTERM, lambda *_: stop.set())
            while not stop.wait(1):
                pass
        else:
            publish = (lambda t, p, q, r: link.publish(t, p, qos=q, retain=r)) if link is not None else None
            # Web only: documents and commands are stored; an ingest process sends them (within 1 s).
            ctx = HqContext.build(reader, settings.hq, publish=publish, hub=hub)
            from hq import housekeeping  # hourly; with several web processes one at a time (run_alone)
            threading.Thread(target=housekeeping.loop, args=(ctx, stop), name="housekeeping", daemon=True).start()
            config = uvicorn.Config(create_app(reader, ctx=ctx), host=settings.hq.host, port=settings.hq.port,
                                    log_level="warning", timeout_graceful_shutdown=5)
            uvicorn.Server(config).run()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        if worker is not None:
            worker.join(5)
        if link is not None:
            link.stop()
        for closing in (notifier, listener, store, reader):
            if closing is not None:
                closing.close()
    return 0
