"""Security headers on every answer, and the API description page (``/docs``) served locally.

Why these: the pages never paste data into HTML (see hq.pages), and a Content-Security-Policy makes
that a rule the browser enforces too — only our own scripts run (``script-src 'self'``, no inline
script, no eval), pages cannot be framed (clickjacking of the staff dashboard), and nothing is
fetched from elsewhere but the map tiles of ``hq.map.tile_url``. Styles allow ``'unsafe-inline'``:
Leaflet and Swagger UI position elements with inline styles, and a style cannot run code.

``/docs`` is Swagger UI from the ``fastapi-offline`` Python package (installed by setup.py with the
rest; it ships Swagger UI 5's files for exactly this), not from a public CDN: an office network
without internet shows it, and no third party's script runs on the headquarters origin.
(``swagger-ui-bundle`` was tried first: its Swagger UI 4 cannot read FastAPI's OpenAPI 3.1.) Only
the package's files are used; the page and its start-up code are ours (``swagger-init.js``, a
static file), so the strict script policy holds on ``/docs`` too.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders

from hq.body_limit import BodyLimit
from ztc.settings import HqSettings

log = logging.getLogger(__name__)

DOCS_HTML = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<title>ztc 总部接口 / headquarters API</title><link rel="stylesheet" href="/vendor/swagger-ui/swagger-ui.css">
</head><body><div id="swagger-ui"></div><script src="/vendor/swagger-ui/swagger-ui-bundle.js"></script>
<script src="/static/swagger-init.js"></script></body></html>"""


def tile_source(tile_url: str) -> str | None:
    """The CSP source of the map tiles: ``https://t{s}.tianditu.gov.cn/…`` → ``https://*.tianditu.gov.cn``."""
    if not tile_url:
        return None
    parts = urlsplit(tile_url)
    host = parts.netloc
    if not parts.scheme or not host:
        return None
    if "{" in host:  # a subdomain placeholder: CSP allows a wildcard only as the leftmost label
        rest = host.split("}", 1)[1].lstrip("-")
        host = "*" + (rest if rest.startswith(".") else "." + rest.split(".", 1)[-1])
    return f"{parts.scheme}://{host}"


def policy(settings: HqSettings) -> str:
    tiles = tile_source(settings.map.tile_url)
    img = " ".join(filter(None, ["'self'", "data:", "blob:", tiles]))
    return ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            f"img-src {img}; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
            "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


def security_headers(settings: HqSettings) -> dict[str, str]:
    out = {"Content-Security-Policy": policy(settings), "X-Frame-Options": "DENY",
           "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
           "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
           "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Resource-Policy": "same-origin"}
    if settings.cookie_secure:  # served over HTTPS: keep it so
        out["Strict-Transport-Security"] = "max-age=31536000"
    return out


def swagger_dir() -> Path | None:
    try:
        import fastapi_offline
    except ImportError:
        return None
    return Path(fastapi_offline.__file__).resolve().parent / "static"


class SecurityHeaders:
    """Plain ASGI middleware (no per-request task, unlike BaseHTTPMiddleware): adds the headers to
    every HTTP answer that does not set them itself."""

    def __init__(self, app: Any, headers: dict[str, str]):
        self.app = app
        self.headers = headers

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                h = MutableHeaders(scope=message)
                for k, v in self.headers.items():
                    if k not in h:
                        h[k] = v
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install(app: FastAPI, settings: HqSettings) -> None:
    """The headers middleware, and ``/docs`` with its files (or a clear 503 without the package)."""
    app.add_middleware(BodyLimit)  # inner: the 413 it sends carries the security headers too
    app.add_middleware(SecurityHeaders, headers=security_headers(settings))

    swagger = swagger_dir()
    if swagger is not None and (swagger / "swagger-ui-bundle.js").is_file():
        app.mount("/vendor/swagger-ui", StaticFiles(directory=swagger), name="swagger-ui")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        if swagger is None:
            return HTMLResponse("接口说明页未安装 / fastapi-offline is not installed: see /openapi.json", 503)
        return HTMLResponse(DOCS_HTML)
