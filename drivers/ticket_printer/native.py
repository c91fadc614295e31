"""Native text mode: the layout as ESC/POS text commands, Chinese encoded as GB18030 by us.

Why encode ourselves: python-escpos ``text()`` guesses code pages and turns punctuation-only lines
into ``?`` (DESIGN.md); a ticket must print every character right, so we send GB18030 bytes
after ``FS &`` (Chinese character mode) and let the printer's built-in Chinese font draw them.
Only attributes that change are sent, so a ticket stays a few hundred bytes — it matters on a
9600-baud serial line.
"""
from __future__ import annotations

from escpos.constants import QR_ECLEVEL_M

from drivers.ticket_printer.escpos_lib import dummy
from drivers.ticket_printer.layout import CELL_W, Feed, Layout, Qr, Rule, Text

INIT = b"\x1b@"
CHINESE_MODE = b"\x1c&"     # FS &: two-byte (GB) characters on
CUT = b"\x1dVB\x00"         # GS V 66 0: feed to the cutter and cut


def encode_text(text: str) -> bytes:
    """GB18030 bytes of a line; every Unicode character has one, so nothing becomes '?'."""
    return text.encode("gb18030")


def render_native(layout: Layout) -> bytes:
    """ESC/POS bytes of the whole ticket, ending with a cut."""
    p = dummy(layout.width_dots)
    p._raw(INIT + CHINESE_MODE)
    state = {"align": "left", "bold": False, "scale": 1, "invert": False}

    def apply(**want: object) -> None:
        changed = {k: v for k, v in want.items() if state[k] != v}
        if "scale" in changed:
            s = int(changed["scale"])
            p.set(custom_size=True, width=s, height=s)
        if "bold" in changed:
            p.set(bold=bool(changed["bold"]))
        if "align" in changed:
            p.set(align=str(changed["align"]))
        if "invert" in changed:
            p.set(invert=bool(changed["invert"]))
        state.update(changed)

    for block in layout.blocks:
        if isinstance(block, Text):
            apply(align=block.align, bold=block.bold, scale=block.scale, invert=block.invert)
            p._raw(encode_text(block.text) + b"\n")
        elif isinstance(block, Rule):
            apply(align="left", bold=False, scale=1, invert=False)
            p._raw(b"-" * (layout.width_dots // CELL_W) + b"\n")
        elif isinstance(block, Qr):
            apply(align="center", bold=False, scale=1, invert=False)
            p.qr(block.data, ec=QR_ECLEVEL_M, size=block.module, native=True)
            p._raw(b"\n")
        elif isinstance(block, Feed):
            p.print_and_feed(block.lines)
    apply(align="left", bold=False, scale=1, invert=False)
    p._raw(CUT)
    return p.output
