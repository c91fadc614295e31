"""Faults: paper out, cover open, a silent printer, a dropped link, a missing printer, a slow line.

In each case the job is reported (failed, or retried when configured), the ticket stays valid in
the bus database, and ``get_status()`` shows the fault in Chinese and English.
"""
from __future__ import annotations

import dataclasses
import socket

from drivers.ticket_printer.content import TicketContent
from drivers.ticket_printer.transports import NetworkTransport
from drivers.ticket_printer.worker import TicketPrinter
from tests.printer.helpers import printer_for


def _issue(engine, settings) -> tuple[dict, TicketContent]:
    ticket = engine.issue("E", item="E01")
    return ticket, TicketContent.from_ticket(ticket, settings)


def _still_valid(engine, ticket: dict) -> None:
    row = engine.ticket(ticket.id)
    assert row.state == "waiting" and row.number == ticket.number
    assert [t.number for t in engine.waiting()].count(ticket.number) == 1


def test_paper_out_before_the_job(engine, settings, sim):
    ticket, content = _issue(engine, settings)
    sim.faults.paper = "out"
    reported = []
    with printer_for(sim, on_done=reported.append) as printer:
        job = printer.submit(content)
        assert job.wait(20)
        status = printer.get_status()
    assert job.state == "failed" and job.error == "打印机缺纸 / printer out of paper"
    assert reported == [job] and list(printer.failed) == [job]
    assert sim.tickets == []
    assert status["paper"] == "out" and status["state"] == "error" and "缺纸" in status["detail"]
    _still_valid(engine, ticket)


def test_paper_runs_out_during_the_job_then_a_copy_is_reprinted(engine, settings, sim):
    ticket, content = _issue(engine, settings)
    sim.faults.paper_out_after_bytes = 3000
    with printer_for(sim, mode="raster", retries=2) as printer:
        job = printer.submit(content)
        assert job.wait(20)
        assert job.state == "failed" and "打印中缺纸" in job.error and job.attempts == 1  # no pointless retry
        assert printer.get_status()["paper"] == "out"
        assert sim.tickets == [] and len(sim.spoiled) == 1
        _still_valid(engine, ticket)

        sim.faults.paper = "ok"                                   # the crew put in a new roll
        printer.text_mode = "native"
        engine.mark_printed(ticket.id)                         # the spoiled one counts as printed
        reprint = printer.submit(TicketContent.from_ticket(engine.ticket(ticket.id), settings))
        assert reprint.wait(20) and reprint.state == "done", reprint.error
        assert printer.get_status()["state"] == "ok"
    [paper] = sim.wait_for_tickets(1)
    assert "副本 COPY" in paper.lines() and ticket.number in paper.lines()


def test_cover_open(engine, settings, sim):
    ticket, content = _issue(engine, settings)
    sim.faults.cover_open = True
    with printer_for(sim) as printer:
        job = printer.submit(content)
        assert job.wait(20)
        status = printer.get_status()
    assert job.state == "failed" and job.error == "打印机盖未关 / printer cover open"
    assert status["cover"] == "open" and status["state"] == "error"
    _still_valid(engine, ticket)


def test_dropped_connection_fails_the_job_without_retries(engine, settings, sim):
    ticket, content = _issue(engine, settings)
    sim.faults.drop_after_bytes = 5000
    with printer_for(sim, mode="raster", retries=0) as printer:
        job = printer.submit(content)
        assert job.wait(30)
        status = printer.get_status()
    assert job.state == "failed" and "连接中断" in job.error and "link lost" in job.error
    assert sim.tickets == []
    assert status["connected"] is False and status["state"] == "offline"
    _still_valid(engine, ticket)


def test_dropped_connection_is_retried_when_configured(engine, settings, sim):
    ticket, content = _issue(engine, settings)
    sim.faults.drop_after_bytes = 5000
    with printer_for(sim, mode="raster", retries=1) as printer:
        job = printer.submit(content)
        assert job.wait(30)
        assert job.state == "done", job.error
        assert printer.get_status()["state"] == "ok"
    assert job.attempts == 2
    assert len(sim.wait_for_tickets(1)) == 1 and len(sim.spoiled) == 1   # one whole ticket, one torn-off
    _still_valid(engine, ticket)


def test_serial_printer_that_drops_off_is_reopened_by_its_by_id_path(engine, settings, sim_factory, tmp_path):
    ticket, content = _issue(engine, settings)
    sim = sim_factory("pty-drop", pty=True, out_dir=tmp_path)
    sim.faults.drop_after_bytes = 200
    with printer_for(sim, mode="native", retries=1) as printer:
        job = printer.submit(content)
        assert job.wait(30)
    assert job.state == "done" and job.attempts == 2, job.error
    assert sim.pty_opened == 2                                      # it came back as a new device
    [paper] = sim.wait_for_tickets(1)
    assert ticket.number in paper.lines()


def test_silent_printer_prints_but_its_status_is_unknown_not_ok(engine, settings, sim):
    _, content = _issue(engine, settings)
    sim.faults.silent = True
    with printer_for(sim, mode="native") as printer:
        job = printer.submit(content)
        assert job.wait(20) and job.state == "done", job.error
        status = printer.get_status()
    assert job.confirmed is None                                    # nothing could confirm it
    assert status["paper"] == "unknown" and status["answers_status"] is False
    assert status["state"] == "degraded" and "状态未知" in status["detail"]
    assert len(sim.wait_for_tickets(1)) == 1


def test_paper_near_end_still_prints_and_warns(engine, settings, sim):
    _, content = _issue(engine, settings)
    sim.faults.paper = "near_end"
    with printer_for(sim) as printer:
        job = printer.submit(content)
        assert job.wait(20) and job.state == "done"
        status = printer.get_status()
    assert status["paper"] == "near_end" and status["state"] == "degraded" and "将用完" in status["detail"]


def test_missing_printer_is_reported_and_the_next_job_reopens_it(engine, settings, sim_factory, tmp_path):
    ticket, content = _issue(engine, settings)
    with socket.socket() as s:           # a free port where nothing listens yet
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    printer = TicketPrinter(NetworkTransport("127.0.0.1", port, timeout_s=2), text_mode="native", retries=0,
                            status_timeout_s=0.5, poll_interval_s=None, backoff_s=(0.05,))
    with printer:
        job = printer.submit(content)
        assert job.wait(20)
        assert job.state == "failed" and f"127.0.0.1:{port}" in job.error
        status = printer.get_status()
        assert status["state"] == "offline" and "未连接" in status["detail"]

        sim = sim_factory("late", out_dir=tmp_path)
        sim.stop()
        sim._server = None
        sim.start_tcp("127.0.0.1", port)                          # the printer is switched on
        second = printer.submit(dataclasses.replace(content, copy=True))
        assert second.wait(20) and second.state == "done", second.error
        assert printer.get_status()["state"] == "ok"
    assert len(sim.wait_for_tickets(1)) == 1
    _still_valid(engine, ticket)


def test_slow_line_does_not_block_the_caller(engine, settings, sim):
    ticket, content = _issue(engine, settings)
    sim.faults.bytes_per_s = 2000          # a 750-byte native ticket takes the line ~0.4 s
    with printer_for(sim, mode="native") as printer:
        job = printer.submit(content)
        assert job.state in ("queued", "printing") and not job.finished   # submit returned at once
        assert job.wait(30) and job.state == "done", job.error
    [paper] = sim.wait_for_tickets(1)
    assert ticket.number in paper.lines() and "请留意叫号" in paper.lines()


def test_closing_with_queued_jobs_reports_each_one(engine, settings, sim):
    _, content = _issue(engine, settings)
    sim.faults.bytes_per_s = 2000
    printer = printer_for(sim, mode="native")
    jobs = [printer.submit(content) for _ in range(4)]
    printer.close(timeout=30)
    assert all(j.finished for j in jobs)
    assert jobs[0].state == "done"
    for j in jobs[1:]:
        assert j.state in ("done", "failed")
        if j.state == "failed":
            assert "printer closed" in j.error and j in printer.failed
