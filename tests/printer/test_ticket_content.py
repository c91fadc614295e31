"""What goes on a ticket: content from an engine ticket, one layout for both paper widths, the SC font."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from drivers.fonts import find_face, sc_font
from drivers.ticket_printer.content import TicketContent
from drivers.ticket_printer.layout import Qr, Text, cells, ticket_layout, wrap
from tests.printer.conftest import STOP_NAME


def test_content_from_an_issued_ticket(engine, settings):
    ticket = engine.issue("A", item="A02")
    c = TicketContent.from_ticket(ticket, settings)
    assert (c.number, c.service_zh, c.item_zh, c.item_en) == (ticket.number, "市场主体登记", "公司登记",
                                                             "Company registration")
    assert c.stop_name == STOP_NAME and c.copy is False and c.priority is False and c.appointment is False
    # The rating secret rides in the fragment; it is the ticket's own random token, not its id.
    assert c.qr_url == settings.bus.ticket_url.format(ticket_id=ticket.id) + "#k=" + ticket.rate_token
    assert len(ticket.rate_token) >= 20 and engine.issue("A").rate_token != ticket.rate_token
    assert c.issued_at.utcoffset().total_seconds() == 8 * 3600          # Asia/Shanghai, not UTC
    engine.mark_printed(ticket.id)
    again = TicketContent.from_ticket(engine.ticket(ticket.id), settings)
    assert again.copy is True                                            # printed before: a reprint is a copy


def test_wait_is_rounded_up_to_whole_minutes(settings):
    base = {"id": "t1", "number": "B003", "prefix": "B", "issued_at": 0, "ahead": 2, "stop_name": "x"}
    assert TicketContent.from_ticket({**base, "est_wait_s": 61}, settings).est_wait_min == 2
    assert TicketContent.from_ticket({**base, "est_wait_s": 0}, settings).est_wait_min == 0


@pytest.mark.parametrize("width", [80, 58])
def test_layout_fits_the_paper_and_carries_every_part(settings, width):
    c = dataclasses.replace(TicketContent.sample(settings), copy=True, priority=True, appointment=True,
                            stop_name="沂源县南麻街道办事处东风社区居民委员会便民服务中心广场东侧停车场")
    layout = ticket_layout(c, width)
    for b in layout.blocks:
        if isinstance(b, Text):
            assert cells(b.text) * b.scale <= layout.columns, b
    texts = layout.texts()
    number = next(b for b in layout.blocks if isinstance(b, Text) and b.text == c.number)
    assert number.scale == 6 and number.bold                              # very large type
    for mark in ("副本 COPY", "优先 PRIORITY", "预约 APPOINTMENT"):
        assert any(isinstance(b, Text) and b.text == mark and b.invert for b in layout.blocks)
    assert "请留意叫号" in texts and c.service_zh in texts and c.service_en in texts
    assert any("0533-3260000" in t for t in texts) and any(t.startswith("时间 / Time：") for t in texts)
    assert "".join(t for t in texts).count("东侧停车场") == 1                  # a long stop name wraps, never cut
    assert [b.data for b in layout.blocks if isinstance(b, Qr)] == [c.qr_url]


def test_wrap_keeps_latin_words_and_breaks_between_chinese_characters():
    assert wrap("前面还有 3 人 / 3 ahead of you", 20) == ["前面还有 3 人 / 3", "ahead of you"]
    assert wrap("沂源县政务服务直通车", 8) == ["沂源县政", "务服务直", "通车"]
    assert wrap("", 10) == [""]


def test_the_font_is_the_simplified_chinese_face_not_face_0():
    face = find_face()
    assert face.name.startswith("Noto Sans CJK SC")
    assert sc_font(48).getname()[0] == "Noto Sans CJK SC"
    japanese = ImageFont.truetype(str(face.path), 48, index=0)
    assert japanese.getname()[0] != "Noto Sans CJK SC"

    def draw(font: ImageFont.FreeTypeFont) -> np.ndarray:
        img = Image.new("L", (64, 64), 255)
        ImageDraw.Draw(img).text((8, 4), "直", font=font, fill=0)
        return np.array(img)

    # 直 has different glyph forms in China and Japan: the SC face must not draw the Japanese one.
    assert (draw(sc_font(48)) != draw(japanese)).sum() > 50
