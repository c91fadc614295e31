"""The A4 printer against a real private cupsd with a cups-pdf queue (see conftest.py)."""
from __future__ import annotations

import subprocess
import time

import cv2
import numpy as np
import pikepdf
import pytest

from drivers.a4_printer import A4Printer, PrinterError, PrinterState
from drivers.a4_printer.jobs import JobTracker
from drivers.a4_printer.sim_cupsd import free_port
from tests.documents.conftest import QUEUE
from ztc.documents.pipeline import pages_to_pdf, process_frame

A4_PT = sorted((595.28, 841.89))


def wait_for_output(cups, job_id: str):
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        path = cups.output_for(job_id)
        if path is not None:
            return path
        time.sleep(0.05)
    raise AssertionError(f"cups-pdf wrote nothing for {job_id}")


@pytest.fixture(scope="module")
def three_page_pdf(tmp_path_factory, documents_dir):
    pages = [process_frame(cv2.imread(str(documents_dir / f"form-{n}.jpg")), "bw") for n in (1, 2, 3)]
    path = tmp_path_factory.mktemp("pdf") / "forms.pdf"
    path.write_bytes(pages_to_pdf(pages))
    return path


def test_fresh_queue_is_idle_and_healthy(printer):
    assert printer.state().state == "idle"
    assert printer.get_status() == {"state": "ok", "detail": "空闲 / idle"}


def test_a_pdf_job_prints_all_its_pages_on_a4(printer, cups, three_page_pdf):
    job_id = printer.submit(three_page_pdf, copies=1)
    assert job_id.startswith(f"{QUEUE}-")
    done = printer.wait(job_id)
    assert done.ok and done.state == "completed"
    assert done.options["sides"] == "one-sided" and done.options["copies"] == "1"
    with pikepdf.open(wait_for_output(cups, job_id)) as out:
        assert len(out.pages) == 3
        for page in out.pages:
            assert sorted(float(v) for v in page.mediabox[2:]) == pytest.approx(A4_PT, abs=1)


def test_an_image_prints_fitted_on_one_page(printer, cups, tmp_path):
    image = tmp_path / "photo.jpg"
    cv2.imwrite(str(image), np.full((1200, 900, 3), 200, np.uint8))
    job_id = printer.submit(image, copies=2, duplex=True)
    done = printer.wait(job_id)
    assert done.ok
    assert done.options == {"copies": "2", "sides": "two-sided-long-edge", "media": "A4", "fit-to-page": "true"}
    with pikepdf.open(wait_for_output(cups, job_id)) as out:
        assert len(out.pages) == 1


def test_a_stopped_queue_is_a_clear_error_and_the_job_is_kept(printer, cups, three_page_pdf):
    cups.stop_queue(QUEUE, "paper jam in tray 1")
    status = printer.get_status()
    assert status["state"] == "error" and "stopped" in status["detail"] and "paper jam" in status["detail"]
    job_id = printer.submit(three_page_pdf)          # CUPS accepts it into its spool …
    with pytest.raises(PrinterError) as err:
        printer.wait(job_id, timeout_s=30)
    assert err.value.code == "stopped" and err.value.job_id == job_id
    assert "kept queued" in str(err.value) and "已停止" in str(err.value)
    assert printer.job(job_id).state.startswith("pending")   # … and keeps it
    assert cups.output_for(job_id) is None
    cups.start_queue(QUEUE)                          # the crew clears the jam
    assert printer.wait(job_id).ok
    with pikepdf.open(wait_for_output(cups, job_id)) as out:
        assert len(out.pages) == 3                     # nothing lost


def test_a_queue_that_rejects_jobs_says_so(printer, cups, three_page_pdf):
    subprocess.run(["cupsreject", "-h", cups.server, QUEUE], check=True)
    try:
        with pytest.raises(PrinterError) as err:
            printer.submit(three_page_pdf)
        assert err.value.code == "not_accepting" and QUEUE in str(err.value)
        assert printer.get_status()["state"] == "error"
    finally:
        subprocess.run(["cupsaccept", "-h", cups.server, QUEUE], check=True)


def test_unknown_queue_names_the_setting(cups, three_page_pdf):
    printer = A4Printer("no-such-queue", cups.server)
    with pytest.raises(PrinterError) as err:
        printer.submit(three_page_pdf)
    assert err.value.code == "no_queue"
    assert "no-such-queue" in str(err.value) and "devices.a4_printer.queue" in str(err.value)
    status = printer.get_status()
    assert status["state"] == "error" and "does not exist" in status["detail"]


def test_cupsd_not_running_is_a_clear_error(three_page_pdf):
    printer = A4Printer(QUEUE, f"127.0.0.1:{free_port()}")   # nothing listens there
    with pytest.raises(PrinterError) as err:
        printer.submit(three_page_pdf)
    assert err.value.code == "no_scheduler" and "cupsd" in str(err.value) and "未运行" in str(err.value)
    assert printer.get_status()["state"] == "offline"


def test_files_that_cannot_be_printed_are_refused_before_cups(printer, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("x")
    with pytest.raises(PrinterError, match="cannot print this kind of file"):
        printer.submit(notes)
    with pytest.raises(PrinterError, match="does not exist"):
        printer.submit(tmp_path / "missing.pdf")


def test_cancelled_job_is_reported_as_failed(printer, cups, three_page_pdf):
    cups.stop_queue(QUEUE, "held for the test")
    job_id = printer.submit(three_page_pdf)
    printer.cancel(job_id)
    with pytest.raises(PrinterError) as err:
        printer.wait(job_id, timeout_s=30)
    assert err.value.code == "failed" and "canceled" in str(err.value)


def test_job_list_is_newest_first_with_finished_and_cancelled_jobs(printer, cups, three_page_pdf):
    done = printer.submit(three_page_pdf)
    assert printer.wait(done).ok
    cups.stop_queue(QUEUE, "held for the test")
    cancelled = printer.submit(three_page_pdf)
    printer.cancel(cancelled)
    waiting = printer.submit(three_page_pdf)
    states = {job.job_id: job.state for job in printer.jobs(limit=50)}
    assert states[done] == "completed" and states[cancelled] == "canceled"
    assert states[waiting].startswith("pending")
    newest = printer.jobs(limit=2)
    assert [job.job_id for job in newest] == [waiting, cancelled]       # newest first, cut at the limit
    with pytest.raises(PrinterError) as err:
        A4Printer("no-such-queue", cups.server).jobs()
    assert err.value.code == "no_queue"


@pytest.mark.parametrize(("reasons", "state", "words"), [
    (("media-empty-error",), "error", ("缺纸", "out of paper")),
    (("toner-low-warning",), "degraded", ("墨粉不足", "toner low")),
    (("media-jam-error", "toner-low-report"), "error", ("卡纸", "toner low")),
    (("offline-report",), "offline", ("离线", "offline")),
    ((), "ok", ("空闲", "idle")),
])
def test_printer_state_reasons_map_to_health(reasons, state, words):
    health = PrinterState("idle", reasons).health()
    assert health["state"] == state
    for word in words:
        assert word in health["detail"]


def test_tracker_follows_a_job_through_a_stop_until_it_is_printed(printer, cups, three_page_pdf):
    seen = []
    tracker = JobTracker(printer, seen.append, poll_s=0.1)
    cups.stop_queue(QUEUE, "out of paper")
    job_id = printer.submit(three_page_pdf)
    tracker.track(job_id)
    try:
        deadline = time.monotonic() + 30
        while not seen and time.monotonic() < deadline:
            time.sleep(0.05)
        # CUPS says only "pending"; the tracker looks at the printer and says why, once.
        assert seen and isinstance(seen[0], PrinterError) and seen[0].code == "stopped"
        assert seen[0].job_id == job_id and "printer stopped" in seen[0].en and "保留在队列中" in seen[0].zh
        tracker.poll_once()
        assert len(seen) == 1                      # the same stop is not reported again
        assert tracker.outstanding() == [job_id]
        cups.start_queue(QUEUE)
        while tracker.outstanding() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert tracker.outstanding() == []
        assert seen[-1].job_id == job_id and seen[-1].state == "completed"
    finally:
        tracker.stop()
