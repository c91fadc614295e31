"""Native text mode: the layout as ESC/POS text commands, Chinese encoded as GB18030 by us.

Why encode ourselves: python-escpos ``text()`` guesses code pages and turns punctuation-only lines
into ``?`` (DESIGN.md); a ticket must print every character right, so we send GB18030 bytes
after ``FS &`` (Chinese character mode) and let the printer's built-in Chinese font draw them.
Only attributes that change are sent, so a ticket stays a few hundred bytes — it matters on a
9600-baud serial line.
"""
from __future__ import annotations

from typing import NamedTuple

from drivers.ticket_printer.escpos_lib import QR_ECLEVEL_M, dummy
from drivers.ticket_printer.layout import CELL_W, Align, Feed, Layout, Qr, Rule, Text

INIT = b"\x1b@"
CHINESE_MODE = b"\x1c&"     # FS &: two-byte (GB) characters on
CUT = b"\x1dVB\x00"         # GS V 66 0: feed to the cutter and cut


class _Attrs(NamedTuple):
    """The text attributes in force on the printer; only those that change are sent."""

    align: Align
    bold: bool
    scale: int
    invert: bool


PLAIN = _Attrs(align="left", bold=False, scale=1, invert=False)   # what ESC @ leaves


def encode_text(text: str) -> bytes:
    """GB18030 bytes of a line; every Unicode character has one, so nothing becomes '?'."""
    return text.encode("gb18030")


def render_native(layout: Layout) -> bytes:
    """ESC/POS bytes of the whole ticket, ending with a cut."""
    p = dummy(layout.width_dots)
    p._raw(INIT + CHINESE_MODE)
    state = PLAIN

    def apply(want: _Attrs) -> None:
        nonlocal state
        if want.scale != state.scale:
            p.set(custom_size=True, width=want.scale, height=want.scale)
        if want.bold != state.bold:
            p.set(bold=want.bold)
        if want.align != state.align:
            p.set(align=want.align)
        if want.invert != state.invert:
            p.set(invert=want.invert)
        state = want

    for block in layout.blocks:
        if isinstance(block, Text):
            apply(_Attrs(block.align, block.bold, block.scale, block.invert))
            p._raw(encode_text(block.text) + b"\n")
        elif isinstance(block, Rule):
            apply(PLAIN)
            p._raw(b"-" * (layout.width_dots // CELL_W) + b"\n")
        elif isinstance(block, Qr):
            apply(PLAIN._replace(align="center"))
            p.qr(block.data, ec=QR_ECLEVEL_M, size=block.module, native=True)
            p._raw(b"\n")
        elif isinstance(block, Feed):
            p.print_and_feed(block.lines)
    apply(PLAIN)
    p._raw(CUT)
    return p.output
