"""Scan storage under data_dir, the acknowledged-only retention, and the copy service end to end
(simulated camera → pipeline → stored scan → real cupsd → page counters of the served ticket)."""
from __future__ import annotations

import io
import time
from datetime import datetime
from pathlib import Path

import pikepdf
import pytest

from drivers.camera import Camera, SimReader
from ztc.db import outbox
from ztc.documents.copy_service import CopyService
from ztc.documents.storage import ScanStorageError, ScanStore

from .conftest import serving_ticket

DAY = 86400.0


def tiny_pdf() -> bytes:
    out = pikepdf.new()
    out.add_blank_page(page_size=(595, 842))
    buf = io.BytesIO()
    out.save(buf)
    return buf.getvalue()


@pytest.fixture
def store(db, settings, clock):
    return ScanStore(db, settings.data_dir, retention_days=30, clock=clock)


def acknowledge_all(db) -> None:
    """What the agent does when headquarters acks everything it was sent."""
    with db.write() as conn:
        top = conn.execute("SELECT MAX(seq) FROM outbox").fetchone()[0]
        outbox.acknowledge(conn, top)


def test_scans_are_stored_under_data_dir_and_linked_to_the_ticket(engine, store, settings):
    ticket = serving_ticket(engine)
    scan = store.save(tiny_pdf(), 1, "bw", ticket.id)
    path = Path(scan["path"])
    assert path.is_file() and path.read_bytes() == tiny_pdf()
    assert settings.data_dir in path.parents
    assert [s["id"] for s in store.for_ticket(ticket.id)] == [scan["id"]]
    assert not list(path.parent.glob("*.part")), "no temp file left behind"


def test_retention_waits_for_the_headquarters_acknowledgement(engine, store, clock):
    ticket = serving_ticket(engine)
    scan = store.save(tiny_pdf(), 1, "color", ticket.id)
    later = clock.t + 31 * DAY
    assert store.purge(later) == 0, "ticket not served yet: there is no record, keep the scan"
    engine.complete(1, "A01", "completed")
    assert store.purge(later) == 0, "record written but not acknowledged by headquarters: keep"
    acknowledge_all(engine.db)
    assert store.purge(clock.t + 29 * DAY) == 0, "acknowledged but retention not over: keep"
    assert Path(scan["path"]).exists()
    assert store.purge(later) == 1
    assert not Path(scan["path"]).exists()
    assert store.get(scan["id"])["purged_at"] == later
    assert store.purge(later + DAY) == 0, "purging twice does nothing"


def test_unlinked_scans_wait_only_for_the_retention(store, clock):
    scan = store.save(tiny_pdf(), 1, "gray", None)
    assert store.purge(clock.t + 29 * DAY) == 0
    assert store.purge(clock.t + 31 * DAY) == 1 and not Path(scan["path"]).exists()


def test_a_scan_that_cannot_be_written_leaves_nothing_behind(db, settings, clock):
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    (settings.data_dir / "scans").write_text("a file where the scans folder should be")
    store = ScanStore(db, settings.data_dir, 30, clock)
    with pytest.raises(ScanStorageError, match="cannot be saved"):
        store.save(tiny_pdf(), 1, "bw", None)
    with db.read() as conn:
        assert conn.execute("SELECT COUNT(*) FROM scans").fetchone()[0] == 0


def test_copy_service_scans_prints_and_counts_into_the_served_ticket(engine, store, printer, cups, documents_dir):
    ticket = serving_ticket(engine)
    reader = SimReader(documents_dir, fps=30)
    with Camera(reader, warmup_frames=1) as camera:
        service = CopyService(camera, printer, store, engine)
        session = service.start(ticket.id, "bw")
        first = service.capture_page(session)
        reader.next_document()                      # the crew puts down the second sheet
        service.capture_page(session)
        scan, result = service.copy(session, copies=2)
    assert first.found and session.notes == []
    assert scan["pages"] == 2 and scan["ticket_id"] == ticket.id
    with pikepdf.open(scan["path"]) as stored:
        assert len(stored.pages) == 2
    assert result.pages == 2 and result.copies == 2
    assert printer.wait(result.job_id).ok
    deadline = time.monotonic() + 30
    while cups.output_for(result.job_id) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    with pikepdf.open(cups.output_for(result.job_id)) as printed:
        assert len(printed.pages) == 2
    counted = engine.ticket(ticket.id)
    assert (counted.pages_scanned, counted.pages_printed) == (2, 4)
    served = engine.complete(1, "A01", "completed")
    assert served.state == "served"
    with engine.db.read() as conn:
        rec = conn.execute("SELECT pages_scanned, pages_printed FROM records WHERE ticket_id = ?",
                           (ticket.id,)).fetchone()
    assert tuple(rec) == (2, 4), "the service record carries the page counts to headquarters"


def test_a_stopped_printer_does_not_lose_the_scan(engine, store, printer, cups, documents_dir):
    ticket = serving_ticket(engine)
    with Camera(SimReader(documents_dir, fps=30), warmup_frames=0) as camera:
        service = CopyService(camera, printer, store, engine)
        session = service.start(ticket.id, "gray")
        service.capture_page(session)
        cups.stop_queue("ztc-a4", "out of paper")
        scan, result = service.copy(session, copies=1)
    assert Path(scan["path"]).is_file(), "the capture is on disk whatever the printer does"
    assert printer.job(result.job_id).state.startswith("pending")
    cups.start_queue("ztc-a4")
    assert printer.wait(result.job_id).ok


def test_finish_without_pages_is_refused(engine, store, printer):
    service = CopyService(camera=None, printer=printer, store=store, counter=engine)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no page"):
        service.finish(service.start(None))


def test_a_full_disk_is_named_and_nothing_is_recorded(db, settings, clock, monkeypatch):
    import uuid as uuid_module

    from ztc.documents import storage

    fixed = uuid_module.UUID(int=42)
    monkeypatch.setattr(storage.uuid, "uuid4", lambda: fixed)
    folder = settings.data_dir / "scans" / datetime.fromtimestamp(clock.t).strftime("%Y-%m-%d")
    folder.mkdir(parents=True)
    (folder / f"{fixed.hex}.part").symlink_to("/dev/full")   # the kernel answers every write with ENOSPC
    store = ScanStore(db, settings.data_dir, 30, clock)
    with pytest.raises(ScanStorageError, match="storage full"):
        store.save(tiny_pdf(), 1, "bw", None)
    assert list(folder.iterdir()) == [], "neither the temp file nor a PDF is left"
    with db.read() as conn:
        assert conn.execute("SELECT COUNT(*) FROM scans").fetchone()[0] == 0
