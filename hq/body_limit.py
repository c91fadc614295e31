"""A size limit on request bodies, enforced while they arrive (413 before they fill memory).

Why: Starlette reads a whole JSON body before any route or check runs, so one anonymous POST of a
gigabyte to ``/api/v1/login`` would sit in memory — the same exhaustion as a log-in burst, in one
request. Documents (a fleet's appointments) may be a few megabytes of JSON; nothing else is more
than a few kilobytes. A declared ``Content-Length`` over the limit is refused at once; a chunked
body is counted as it comes and refused the moment it passes the limit.
"""
from __future__ import annotations

import json
from typing import Any

DOCUMENTS_PREFIX = "/api/v1/documents/"
DOCUMENT_LIMIT = 8_000_000  # JSON as typed or pretty-printed; the encoded document must still fit the bus's 1 MB
DEFAULT_LIMIT = 64_000


def limit_for(path: str) -> int:
    return DOCUMENT_LIMIT if path.startswith(DOCUMENTS_PREFIX) else DEFAULT_LIMIT


async def _refuse(send: Any, limit: int) -> None:
    body = json.dumps({"detail": f"请求过大 / request body over {limit} bytes"}, ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = limit_for(scope.get("path", ""))
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _refuse(send, limit)
            return
        received, started, refused = 0, False, False

        async def counted() -> Any:
            nonlocal received, started, refused
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:  # answer now; the route sees the client gone and its answer is dropped
                    if not started:
                        started = refused = True
                        await _refuse(send, limit)
                    return {"type": "http.disconnect"}
            return message

        async def tracked(message: Any) -> None:
            nonlocal started
            if refused:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        await self.app(scope, counted, tracked)
