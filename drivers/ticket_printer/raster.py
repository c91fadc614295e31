"""Raster mode: the whole layout drawn with Pillow in the Simplified-Chinese font, sent as GS v 0.

Why: many cheap printers have no Chinese font (or a GB2312 one missing rarer characters); an image
prints the same everywhere. The cost is size: ~72 bytes per dot row on 80 mm paper, so tens of
kilobytes per ticket (see bench/bench_ticket.py for what that means on a slow serial line).
"""
from __future__ import annotations

import qrcode
from PIL import Image, ImageDraw

from drivers.fonts import sc_font
from drivers.ticket_printer.escpos_lib import dummy
from drivers.ticket_printer.layout import CELL_H, Feed, Layout, Qr, Rule, Text
from drivers.ticket_printer.native import CUT, INIT

LINE_GAP = 6             # dots between text lines (ESC/POS default spacing is ~30 dots for 24)
FRAGMENT_ROWS = 256      # rows per GS v 0 command: small enough for printers with little buffer


def qr_image(data: str, module: int) -> Image.Image:
    """A black-on-white QR code (error correction M, quiet zone 2 modules)."""
    # A fixed mask pattern is valid QR and skips qrcode's trial of all eight (~100 ms on a small board).
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=module, border=2,
                         mask_pattern=0)
    code.add_data(data)
    code.make(fit=True)
    return code.make_image(fill_color="black", back_color="white").get_image().convert("1")


def _text_image(block: Text, width: int) -> Image.Image:
    size = CELL_H * block.scale
    font = sc_font(size, bold=block.bold)
    height = size + LINE_GAP
    img = Image.new("1", (width, height), 1)
    draw = ImageDraw.Draw(img)
    text_w = int(font.getlength(block.text))
    x = {"left": 0, "center": (width - text_w) // 2, "right": width - text_w}[block.align]
    y = height // 2     # anchor "lm": the middle between ascender and descender, so nothing is clipped
    if block.invert:
        pad = size // 3
        draw.rectangle((max(0, x - pad), 0, min(width - 1, x + text_w + pad), height - 1), fill=0)
        draw.text((x, y), block.text, font=font, fill=1, anchor="lm")
    else:
        draw.text((x, y), block.text, font=font, fill=0, anchor="lm")
    return img


def render_image(layout: Layout) -> Image.Image:
    """The ticket as one 1-bit image, ``layout.width_dots`` wide."""
    width = layout.width_dots
    parts: list[Image.Image] = []
    for block in layout.blocks:
        if isinstance(block, Text):
            parts.append(_text_image(block, width))
        elif isinstance(block, Rule):
            img = Image.new("1", (width, CELL_H), 1)
            ImageDraw.Draw(img).rectangle((0, CELL_H // 2 - 1, width - 1, CELL_H // 2), fill=0)
            parts.append(img)
        elif isinstance(block, Qr):
            code = qr_image(block.data, block.module)
            img = Image.new("1", (width, code.height), 1)
            img.paste(code, ((width - code.width) // 2, 0))
            parts.append(img)
        elif isinstance(block, Feed):
            parts.append(Image.new("1", (width, (CELL_H + LINE_GAP) * block.lines), 1))
    out = Image.new("1", (width, sum(p.height for p in parts)), 1)
    y = 0
    for part in parts:
        out.paste(part, (0, y))
        y += part.height
    return out


def render_raster(layout: Layout) -> bytes:
    """ESC/POS bytes: initialise, the image in GS v 0 fragments, cut."""
    p = dummy(layout.width_dots)
    p._raw(INIT)
    p.image(render_image(layout), impl="bitImageRaster", fragment_height=FRAGMENT_ROWS)
    p._raw(CUT)
    return p.output
