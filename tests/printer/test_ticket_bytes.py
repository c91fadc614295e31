"""Byte-exact: the ESC/POS commands the driver emits, recorded with python-escpos's Dummy printer."""
from __future__ import annotations

from drivers.ticket_printer.layout import Feed, Layout, Qr, Rule, Text
from drivers.ticket_printer.native import render_native
from drivers.ticket_printer.raster import render_image, render_raster
from drivers.ticket_printer.status import decode, looks_like_status, query_byte
from drivers.ticket_printer.virtual.printer import Faults, status_byte


def test_native_commands_are_exact():
    layout = Layout(384, (Text("请留意叫号", 2, True, "center"), Text("A1"), Rule(), Qr("http://x/t/1", 6), Feed(2)))
    assert render_native(layout) == (
        b"\x1b@" b"\x1c&"                                   # initialise; Chinese (two-byte) mode on
        b"\x1d!\x11" b"\x1bE\x01" b"\x1ba\x01"              # GS ! 2×2, bold, centred
        b"\xc7\xeb\xc1\xf4\xd2\xe2\xbd\xd0\xba\xc5\n"      # 请留意叫号 in GB18030
        b"\x1d!\x00" b"\x1bE\x00" b"\x1ba\x00" b"A1\n"      # only changed attributes are re-sent
        + b"-" * 32 + b"\n"                                 # a rule: 384 dots / 12 = 32 columns
        b"\x1ba\x01"
        b"\x1d(k\x04\x001A2\x00"                            # QR model 2
        b"\x1d(k\x03\x001C\x06"                             # module 6 dots
        b"\x1d(k\x03\x001E1"                                # error correction M
        b"\x1d(k\x0f\x001P0http://x/t/1"                    # store the payload (UTF-8)
        b"\x1d(k\x03\x001Q0\n"                              # print it
        b"\x1bd\x02"                                        # feed 2 lines
        b"\x1ba\x00" b"\x1dVB\x00"                          # back to left; feed to the cutter and cut
    )


def test_punctuation_only_lines_are_gb18030_not_question_marks():
    out = render_native(Layout(576, (Text("：，。！“”"),)))
    assert b"\xa3\xba\xa3\xac\xa1\xa3\xa3\xa1\xa1\xb0\xa1\xb1\n" in out
    assert b"?" not in out


def test_raster_is_gs_v_0_fragments_of_the_full_paper_width():
    for width in (576, 384):
        layout = Layout(width, (Text("请留意叫号", 2, True, "center"), Qr("http://x/t/1", 6), Feed(12)))
        image = render_image(layout)
        out = render_raster(layout)
        assert out.startswith(b"\x1b@") and out.endswith(b"\x1dVB\x00")
        body, pos, rows = out[2:-4], 0, 0
        while pos < len(body):
            assert body[pos:pos + 4] == b"\x1dv0\x00"       # GS v 0, normal density
            width_bytes = body[pos + 4] | body[pos + 5] << 8
            height = body[pos + 6] | body[pos + 7] << 8
            assert width_bytes == width // 8 and 0 < height <= 256
            pos += 8 + width_bytes * height
            rows += height
        assert pos == len(body) and rows == image.height


def test_status_query_bytes_and_reply_decoding():
    assert query_byte(1) == b"\x10\x04\x01" and query_byte(4) == b"\x10\x04\x04"
    ok = decode(0x12, 0x12, 0x12)
    assert (ok.answered, ok.online, ok.paper, ok.cover) == (True, True, "ok", "closed")
    assert decode(0x12, 0x12, 0x1E).paper == "near_end"
    assert decode(0x1A, 0x32, 0x7E).paper == "out"
    cover = decode(0x1A, 0x16, 0x12)
    assert cover.cover == "open" and cover.online is False and cover.blocking_fault == "cover_open"
    silent = decode(None, None, None)
    assert (silent.answered, silent.paper, silent.cover, silent.online) == (False, "unknown", "unknown", None)
    assert not looks_like_status(ord("?")) and not looks_like_status(0xFF) and looks_like_status(0x12)


def test_virtual_printer_replies_match_what_the_driver_decodes():
    for faults, paper, cover in [(Faults(), "ok", "closed"), (Faults(paper="near_end"), "near_end", "closed"),
                                 (Faults(paper="out"), "out", "closed"), (Faults(cover_open=True), "ok", "open")]:
        reading = decode(status_byte(faults, 1), status_byte(faults, 2), status_byte(faults, 4))
        assert (reading.paper, reading.cover) == (paper, cover)
