"""``ztc hq``: the headquarters ingest (MQTT → database → acks) and its HTTP API, in one process."""
from __future__ import annotations

import argparse
import logging
import threading

from ztc.commands import settings_from

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("hq", help="run headquarters: ingest every bus over MQTT and serve the HTTP API")
    p.add_argument("--no-api", action="store_true", help="ingest only, no HTTP server")
    p.set_defaults(func=hq_cmd)


def hq_cmd(args: argparse.Namespace) -> int:
    import uvicorn

    from hq.api import create_app
    from hq.ingest import Ingest, build_link
    from hq.storage import HqStorageError, HqStore

    settings = settings_from(args)
    try:
        store = HqStore.open(settings.hq.database_url)
        reader = HqStore.open(settings.hq.database_url)  # the API's own connection
    except HqStorageError as e:
        print(e)
        return 3
    stop = threading.Event()
    ingest = Ingest(store, build_link(settings.hq))
    worker = threading.Thread(target=ingest.run, args=(stop,), name="ingest", daemon=True)
    worker.start()
    try:
        if args.no_api:
            import signal
            signal.signal(signal.SIGTERM, lambda *_: stop.set())
            while not stop.wait(1):
                pass
        else:
            config = uvicorn.Config(create_app(reader), host=settings.hq.host, port=settings.hq.port,
                                    log_level="warning")
            uvicorn.Server(config).run()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        worker.join(5)
        ingest.link.stop()
        store.close()
        reader.close()
    return 0
