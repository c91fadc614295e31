"""The copy service (复印) and free printing: capture pages → PDF → stored scan → N printed copies.

Why the scan is stored before anything is printed: if the printer is stopped or CUPS is down,
the captured pages are already safe on disk and can be printed again; a capture is never lost to
a printer fault. Pages are counted into the ticket being served (``record_pages``): scanned pages
when the scan is stored, printed pages (pages × copies) when CUPS has accepted the job — CUPS
keeps an accepted job in its spool until it is printed, even across a printer fault.

Every method blocks (camera, lp): call them from a worker thread, never from the Kivy main thread.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pikepdf

from ztc.documents.idcard import id_card_page
from ztc.documents.pipeline import Page, check_mode, pages_to_pdf, process_frame
from ztc.documents.storage import ScanStore

log = logging.getLogger(__name__)


class FrameSource(Protocol):
    def capture(self, timeout_s: float = 5.0) -> np.ndarray: ...


class Printer(Protocol):
    def submit(self, path: str | Path, copies: int = 1, duplex: bool | None = None,
               fit_to_page: bool = True, title: str | None = None) -> str: ...


class PageCounter(Protocol):
    """The queue engine's ``record_pages`` (ztc.domain.engine.QueueEngine)."""

    def record_pages(self, ticket_id: str, scanned: int = 0, printed: int = 0) -> None: ...


@dataclass
class ScanSession:
    """Pages captured so far for one document of one ticket (None: not linked to a ticket)."""

    ticket_id: str | None
    mode: str = "color"
    pages: list[Page] = field(default_factory=list)

    @property
    def notes(self) -> list[str]:
        return [f"第{n}页 / page {n}: {p.note}" for n, p in enumerate(self.pages, 1) if p.note]


@dataclass(frozen=True)
class PrintResult:
    job_id: str
    pages: int
    copies: int


def pdf_page_count(path: str | Path) -> int:
    """Pages of a PDF (1 for an image): what a print of it adds to ``pages_printed``."""
    path = Path(path)
    if path.suffix.lower() != ".pdf":
        return 1
    with pikepdf.open(path) as pdf:
        return len(pdf.pages)


class CopyService:
    """Joins camera, pipeline, scan storage, A4 printer and the page counters of the engine."""

    def __init__(self, camera: FrameSource, printer: Printer, store: ScanStore, counter: PageCounter | None):
        self.camera = camera
        self.printer = printer
        self.store = store
        self.counter = counter

    def start(self, ticket_id: str | None, mode: str = "color") -> ScanSession:
        return ScanSession(ticket_id, check_mode(mode))

    def capture_page(self, session: ScanSession) -> Page:
        """Take a full-resolution frame and run the pipeline; ``page.note`` says if no page was found."""
        page = process_frame(self.camera.capture(), session.mode)
        session.pages.append(page)
        return page

    def capture_id_card(self, session: ScanSession, front: np.ndarray, back: np.ndarray) -> Page:
        """Front and back (frames the crew captured) on one A4 page at true size."""
        page = id_card_page(front, back, session.mode)
        session.pages.append(page)
        return page

    def finish(self, session: ScanSession) -> dict[str, Any]:
        """Store the session's pages as one PDF scan and count them into the ticket."""
        if not session.pages:
            raise ValueError("还没有拍摄任何页面 / no page has been captured yet")
        pdf = pages_to_pdf(session.pages, title="ztc scan")
        scan = self.store.save(pdf, len(session.pages), session.mode, session.ticket_id)
        if session.ticket_id and self.counter:
            self.counter.record_pages(session.ticket_id, scanned=len(session.pages))
        return scan

    def print_file(self, path: str | Path, copies: int = 1, ticket_id: str | None = None,
                   duplex: bool | None = None) -> PrintResult:
        """Free printing of a form or a stored scan; counts pages × copies into the ticket."""
        pages = pdf_page_count(path)
        job_id = self.printer.submit(path, copies=copies, duplex=duplex, title=Path(path).stem)
        if ticket_id and self.counter:
            self.counter.record_pages(ticket_id, printed=pages * copies)
        return PrintResult(job_id, pages, copies)

    def copy(self, session: ScanSession, copies: int = 1,
             duplex: bool | None = None) -> tuple[dict[str, Any], PrintResult]:
        """复印: store the captured pages, then print ``copies`` copies of them."""
        scan = self.finish(session)
        return scan, self.print_file(scan["path"], copies, session.ticket_id, duplex)
