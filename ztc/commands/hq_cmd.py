"""``ztc hq``: the headquarters ingest (MQTT → database → acks), the HTTP API and the web pages in
one process; ``ztc hq user add NAME --role admin`` creates staff accounts (the first one too)."""
from __future__ import annotations

import argparse
import getpass
import logging
import sys
import threading
import time

from ztc.commands import settings_from

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("hq", help="run headquarters: ingest every bus over MQTT and serve the API and dashboard")
    p.add_argument("--no-api", action="store_true", help="ingest only, no HTTP server")
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
    hk = hq_sub.add_parser("housekeeping", help="delete audit-log rows past the retention (180 days at least) "
                                                "and expired sessions; ztc hq also does this daily")
    hk.set_defaults(func=housekeeping_cmd)


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
    from hq.auth import Accounts

    _, store = _open_store(args)
    if store is None:
        return 3
    try:
        Accounts(store)  # its tables exist even on a database no one has logged into yet
        done = housekeeping.run(store, time.time())
    finally:
        store.close()
    print(f"审计日志删除（超过保留期）/ audit rows past retention deleted: {done['audit_purged']}, "
          f"过期会话 / expired sessions: {done['sessions_ended']}")
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


def hq_cmd(args: argparse.Namespace) -> int:
    import os

    import uvicorn

    os.umask(0o077)  # whatever headquarters writes (database, logs) is its own to read

    from hq.api import create_app
    from hq.context import HqContext
    from hq.documents import Documents
    from hq.ingest import Ingest, build_link
    from hq.live import LiveHub
    from hq.storage import HqStorageError, HqStore

    settings = settings_from(args)
    try:
        store = HqStore.open(settings.hq.database_url)
        reader = HqStore.open(settings.hq.database_url)  # the web side's own connection
    except HqStorageError as e:
        print(e)
        return 3
    stop = threading.Event()
    link = build_link(settings.hq)
    hub = LiveHub()
    ctx = HqContext.build(reader, settings.hq, publish=lambda t, p, q, r: link.publish(t, p, qos=q, retain=r), hub=hub)
    pending = Documents(store, ctx.documents.publish)  # documents waiting for the broker, sent from the ingest loop
    ingest = Ingest(store, link, on_stored=hub.publish, periodic=pending.flush)
    worker = threading.Thread(target=ingest.run, args=(stop,), name="ingest", daemon=True)
    worker.start()
    from hq import housekeeping
    threading.Thread(target=housekeeping.daily, args=(reader, ctx.audit, time.time, stop), name="housekeeping",
                     daemon=True).start()
    try:
        if args.no_api:
            import signal
            signal.signal(signal.SIGTERM, lambda *_: stop.set())
            while not stop.wait(1):
                pass
        else:
            config = uvicorn.Config(create_app(reader, ctx=ctx), host=settings.hq.host, port=settings.hq.port,
                                    log_level="warning", timeout_graceful_shutdown=5)
            uvicorn.Server(config).run()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        worker.join(5)
        link.stop()
        store.close()
        reader.close()
    return 0
