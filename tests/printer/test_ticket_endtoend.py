"""End to end: the queue engine issues a ticket, the real driver sends it through a real TCP socket
or a real pseudo-terminal (pyserial), and the virtual printer decodes what arrived.

Every combination of transport × text mode × paper width; each decoded ticket is saved as a PNG
in $ZTC_ARTIFACTS/printer for a person to look at.
"""
from __future__ import annotations

import pytest
from PIL import Image

from drivers.ticket_printer.content import TicketContent
from drivers.ticket_printer.layout import PAPER_DOTS, Text
from drivers.ticket_printer.raster import _text_image
from drivers.ticket_printer.virtual.decoder import TextLine
from tests.printer.conftest import STOP_NAME
from tests.printer.helpers import best_match, decode_qr, ink, printer_for

CASES = [(t, m, w) for t in ("tcp", "pty") for m in ("native", "raster") for w in (80, 58)]


@pytest.mark.parametrize(("transport", "mode", "width"), CASES, ids=[f"{t}-{m}-{w}mm" for t, m, w in CASES])
def test_issued_ticket_prints_with_number_chinese_text_and_qr(engine, settings, sim_factory, transport, mode, width):
    engine.issue("D")                                     # someone ahead, so "前面还有 1 人"
    ticket = engine.issue("D", item="D01", priority=True)
    content = TicketContent.from_ticket(ticket, settings)
    sim = sim_factory(f"{transport}-{mode}-{width}mm", width_dots=PAPER_DOTS[width], pty=transport == "pty")

    with printer_for(sim, mode=mode, width_mm=width) as printer:
        job = printer.submit(content)
        assert job.wait(30), "the print job never finished"
        assert job.state == "done", job.error
        assert job.confirmed is True                      # the printer answered after taking the ticket
        status = printer.get_status()

    [decoded] = sim.wait_for_tickets(1)
    assert decoded.png and decoded.png.endswith(".png")
    paper = Image.open(decoded.png)
    assert paper.width == PAPER_DOTS[width]
    url = settings.bus.ticket_url.format(ticket_id=ticket.id) + "#k=" + ticket.rate_token
    assert decode_qr(paper) == url                        # the QR on paper reads back as the status URL
    assert decoded.unknown == []                          # every command the driver sent was understood
    assert status["paper"] == "ok" and status["state"] == "ok"

    if mode == "native":
        lines = decoded.lines()
        number = next(i for i in decoded.items if isinstance(i, TextLine) and i.text == ticket.number)
        assert number.width == 6 and number.height == 6 and number.bold and number.align == "center"
        assert "医保社保" in lines                          # the service in Chinese, every character right
        assert "Medical insurance and social security" in " ".join(lines)
        assert "请留意叫号" in lines
        assert "前面还有 1 人 / 1 ahead of you" in lines
        assert f"站点 / Stop：{STOP_NAME}" in lines
        assert "优先 PRIORITY" in lines
        assert decoded.qr_payloads() == [url]
    else:
        raster = decoded.raster()
        assert raster is not None and raster.width == PAPER_DOTS[width]
        assert decoded.lines() == []                      # raster mode sends no text at all
        assert decode_qr(raster) == url
        # The number and the Chinese hint are on the paper, pixel for pixel as the layout drew them
        # (the check is sharp: another number does not match).
        width_dots = PAPER_DOTS[width]
        number = ink(_text_image(Text(ticket.number, 6, True, "center"), width_dots))
        wrong = ink(_text_image(Text("B999", 6, True, "center"), width_dots))
        hint = ink(_text_image(Text("请留意叫号", 2, True, "center"), width_dots))
        service = ink(_text_image(Text("医保社保", 2, True, "center"), width_dots))
        assert best_match(raster, number) > 0.99
        assert best_match(raster, hint) > 0.99
        assert best_match(raster, service) > 0.99
        assert best_match(raster, wrong) < 0.9
