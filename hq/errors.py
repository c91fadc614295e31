"""Validation errors answered 422 without echoing the input back.

Why: FastAPI's default 422 repeats each bad value, and a value such as ``1e999`` (parsed as
infinity) or ``NaN`` cannot be written as JSON — the refusal itself became a 500. The location,
message and type are what a client needs; the value it sent, it has.
"""
from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        detail = [{"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
                  for e in exc.errors()[:20]]
        return JSONResponse({"detail": detail}, status_code=422)
