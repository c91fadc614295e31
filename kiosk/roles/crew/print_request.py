"""The crew's ticket prints as requests to the resident kiosk, the ticket printer's only owner.

Why not the crew's own printer: a serial line or a USB interface has one owner (ARCHITECTURE.md,
"One owner per device"). The test print, a reprint and a cut-off override ticket are written to
``print_requests``; the resident kiosk prints them (``kiosk/printer_owner.py``). The crew see
"waiting", "printing", then done, failed with the reason, or "resident kiosk not answering".
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kiosk.i18n import bilingual, t
from kiosk.printing import PrintFailed
from ztc.db import print_requests
from ztc.db.print_requests import Kind, PrintRequest

PROGRESS = {"pending": "print_waiting", "printing": "print_printing"}


def outcome(req: PrintRequest) -> str:
    """Why a request did not print, "中文 / English" (the screen shows one side)."""
    if req.state == "failed":
        return " / ".join(t("print_request_failed", lang, reason=bilingual(req.detail, lang)) for lang in ("zh", "en"))
    key = "print_not_answering" if req.state == "expired" else "print_no_result"
    return f"{t(key, 'zh')} / {t(key, 'en')}"


def ask_owner(db: Any, kind: Kind, ticket_id: str | None = None, requested_by: str = "",
              on_state: Callable[[PrintRequest], None] | None = None, **wait: float) -> str:
    """On a worker: request the print and wait for it; returns what was printed (the number),
    raises PrintFailed (the reason, both languages) when it was not."""
    request_id = print_requests.request(db, kind, ticket_id, requested_by)
    req = print_requests.wait(db, request_id, on_state, **wait)
    if req.state != "done":
        raise PrintFailed(outcome(req))
    return req.detail


def progress(screen: Any) -> Callable[[PrintRequest], None]:
    """An ``on_state`` for ``ask_owner`` that shows "waiting…" / "printing…" in ``screen.ids.message``
    (called on the worker; the text is set on the UI thread)."""
    from kivy.clock import Clock  # type: ignore[import-untyped]  # Kivy ships no type information

    def show(req: PrintRequest) -> None:
        key = PROGRESS.get(req.state)
        if key is not None:
            Clock.schedule_once(lambda _dt: setattr(screen.ids.message, "text", screen.t(key)), 0)

    return show
