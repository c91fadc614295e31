"""Raster tickets drawn in the render process: same bytes as in-thread, and no ticket lost when the
process is killed, hangs or is gone; close() leaves no process behind; native mode never uses it.

The render process is the real thing (a spawned interpreter); faults are real signals sent to it
(SIGKILL, SIGSTOP), and tickets go through the real driver to the virtual printer over TCP.
"""
from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from drivers.ticket_printer.content import TicketContent
from drivers.ticket_printer.layout import PAPER_DOTS, ticket_layout
from drivers.ticket_printer.raster import render_image, render_raster
from drivers.ticket_printer.render_process import RENDER_NICE, RenderProcess
from drivers.ticket_printer.worker import render_ticket
from tests.printer.conftest import REPO
from tests.printer.helpers import printer_for
from tests.support import wait_for

READY_S = 60.0       # generous bounds for a busy shared machine: not timing assertions
UNAVAILABLE = "ticket render process unavailable"


def gone(pid: int) -> bool:
    """True once ``pid`` has exited and been reaped (a zombie still counts as present)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def outage_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if UNAVAILABLE in r.getMessage()]


@pytest.fixture
def content(engine, settings) -> TicketContent:
    engine.issue("D")
    ticket = engine.issue("D", item="D01", priority=True)
    return TicketContent.from_ticket(ticket, settings)


@pytest.fixture
def renderer():
    r = RenderProcess(retry_after_s=3600.0)
    yield r
    r.close()


@pytest.mark.parametrize("width", [80, 58])
def test_process_rendered_bytes_equal_in_thread_bytes(renderer, settings, content, width):
    copy = TicketContent.from_ticket(
        {"id": content.ticket_id, "number": content.number, "prefix": "D", "issued_at": 1_779_000_000.0,
         "appointment_id": "x", "printed": 1}, settings)         # a reprint with the 预约 and 副本 marks
    assert renderer.wait_ready(READY_S), "the render process never became ready"
    pid = renderer.pid
    assert pid is not None and pid != os.getpid()                 # really another process
    expected_nice = min(19, os.getpriority(os.PRIO_PROCESS, 0) + RENDER_NICE)
    assert os.getpriority(os.PRIO_PROCESS, pid) == expected_nice  # the kiosk's screen comes first
    for ticket in (content, copy):
        layout = ticket_layout(ticket, width)
        assert renderer.render(layout) == render_raster(layout)
    assert renderer.processed == 2 and renderer.in_thread == 0    # both came from the process


def first_ticket_through_the_process(printer, content):
    """Warm the render process and print one ticket through it; (the child's pid, the job)."""
    printer.warm_up()
    assert printer.renderer.wait_ready(READY_S)
    pid = printer.renderer.pid
    job = printer.submit(content)
    assert job.wait(30) and job.state == "done", job.error
    assert printer.renderer.processed == 1
    return pid, job


def test_killed_render_process_ticket_still_prints_and_is_logged_once(sim, settings, content, caplog):
    caplog.set_level(logging.INFO, logger="drivers.ticket_printer.render_process")
    with printer_for(sim, mode="raster", render_in_process=True) as printer:
        pid, first = first_ticket_through_the_process(printer, content)

        os.kill(pid, signal.SIGKILL)                              # the render process dies
        jobs = [printer.submit(content), printer.submit(content)]
        for job in jobs:
            assert job.wait(30), "a ticket was never finished after the render process died"
            assert job.state == "done", job.error
        assert printer.renderer.in_thread == 2                    # drawn in the printer thread instead

    printed = sim.wait_for_tickets(3)
    assert len(printed) == 3
    expected = render_image(ticket_layout(content, 80))
    for ticket in printed:                                        # every paper shows the full ticket
        assert ticket.raster().tobytes() == expected.tobytes()
    assert [j.bytes_sent for j in [first, *jobs]] == [len(render_ticket(content, 80, "raster"))] * 3
    warnings = outage_warnings(caplog)
    assert len(warnings) == 1, warnings                           # one outage, one message
    assert "号票渲染进程不可用" in warnings[0] and "BrokenProcessPool" in warnings[0]
    wait_for(lambda: gone(pid), what="the killed render process to be reaped")


def test_render_process_is_recreated_after_an_outage(settings, content, caplog):
    caplog.set_level(logging.INFO, logger="drivers.ticket_printer.render_process")
    renderer = RenderProcess(retry_after_s=0.0)
    try:
        layout = ticket_layout(content, 80)
        expected = render_raster(layout)
        assert renderer.wait_ready(READY_S)
        old = renderer.pid
        os.kill(old, signal.SIGKILL)
        assert renderer.render(layout) == expected                # fallback in-thread
        assert renderer.in_thread == 1
        assert renderer.wait_ready(READY_S), "no new render process after the outage"
        assert renderer.pid not in (None, old)
        assert renderer.render(layout) == expected
        assert renderer.processed == 1                            # the new process drew this one
        assert any("号票渲染进程已恢复" in r.getMessage() for r in caplog.records)
    finally:
        renderer.close()


def test_hung_render_process_is_killed_and_the_ticket_drawn_in_thread(content, caplog):
    caplog.set_level(logging.INFO, logger="drivers.ticket_printer.render_process")
    renderer = RenderProcess(render_timeout_s=1.0, retry_after_s=3600.0)
    try:
        layout = ticket_layout(content, 80)
        assert renderer.wait_ready(READY_S)
        pid = renderer.pid
        os.kill(pid, signal.SIGSTOP)                              # frozen: never answers
        assert renderer.render(layout) == render_raster(layout)
        assert renderer.in_thread == 1
        assert "did not answer in time" in outage_warnings(caplog)[0]
        wait_for(lambda: gone(pid), what="the hung render process to be killed and reaped")
    finally:
        renderer.close()


def test_close_leaves_no_render_process(sim, content):
    printer = printer_for(sim, mode="raster", render_in_process=True)
    pid, _job = first_ticket_through_the_process(printer, content)
    assert not gone(pid)
    printer.close()
    assert gone(pid), f"render process {pid} still exists after close()"
    assert multiprocessing.active_children() == []


def test_native_mode_stays_in_the_printer_thread(sim, content):
    with printer_for(sim, mode="native", render_in_process=True) as printer:
        printer.warm_up()
        job = printer.submit(content)
        assert job.wait(30) and job.state == "done", job.error
        assert multiprocessing.active_children() == []           # no render process was started
        assert printer.renderer.processed == 0 and printer.renderer.in_thread == 0
    [decoded] = sim.wait_for_tickets(1)
    assert "请留意叫号" in decoded.lines()                          # printed as native text


def test_without_render_in_process_raster_is_drawn_in_thread(sim, content):
    """The CLI and scripts: no helper process for a one-off ticket."""
    with printer_for(sim, mode="raster") as printer:
        assert printer.renderer is None
        job = printer.submit(content)
        assert job.wait(30) and job.state == "done", job.error
        assert multiprocessing.active_children() == []
    [decoded] = sim.wait_for_tickets(1)
    assert decoded.raster().width == PAPER_DOTS[80]


def test_kiosk_printer_draws_raster_tickets_in_the_render_process(engine, sim, tmp_path):
    """kiosk.printing.DriverPrinter opts in and warms the process at start."""
    from kiosk.printing import DriverPrinter
    from tests.support import make_settings

    kiosk_settings = make_settings(tmp_path, DEVICES__TICKET_PRINTER__KIND="sim",
                                   DEVICES__TICKET_PRINTER__PORT=str(sim.tcp_port),
                                   DEVICES__TICKET_PRINTER__TEXT_MODE="raster")
    printer = DriverPrinter(kiosk_settings)
    try:
        renderer = printer.printer.renderer
        assert renderer is not None
        wait_for(lambda: renderer.pid, timeout=READY_S, what="the render process warmed by the kiosk printer")
        printer(engine.issue("A"), False)                         # raises if not printed
        assert renderer.processed == 1 and renderer.in_thread == 0
    finally:
        printer.close()
    assert len(sim.wait_for_tickets(1)) == 1


PARENT_SCRIPT = """
import os, sys
from drivers.ticket_printer.render_process import RenderProcess
if __name__ == "__main__":
    r = RenderProcess()
    assert r.wait_ready(60)
    with open(sys.argv[1], "w") as f:
        f.write(str(r.pid))
    os._exit(0)          # dies without close(), like a crashed or SIGKILLed kiosk
"""


def exited(pid: int) -> bool:
    """Gone, or a zombie (reparented children may wait for a reaper that is not ours)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "\nState:\tZ" in status


def test_render_process_leaves_when_the_kiosk_dies_without_closing(tmp_path):
    script = tmp_path / "kiosk_that_crashes.py"
    script.write_text(PARENT_SCRIPT)
    pid_file = tmp_path / "render.pid"
    path = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))  # keeps the caller's (faketime)
    subprocess.run([sys.executable, str(script), str(pid_file)], cwd=REPO, timeout=120, check=True,
                   env={**os.environ, "PYTHONPATH": path}, stdin=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    child = int(pid_file.read_text())
    try:
        wait_for(lambda: exited(child), timeout=30, what="the orphaned render process to leave")
    finally:
        if not exited(child):
            os.kill(child, signal.SIGKILL)
