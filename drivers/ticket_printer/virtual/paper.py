"""Draw a decoded ticket as the paper would look, so a person can check it (and CI keeps it).

Text lines are drawn like a printer's built-in Chinese font (a 24-dot cell, GS ! magnification),
raster images are pasted dot for dot, and QR codes are re-generated from the payload the printer
received — which is what a printer with native QR support would print.
"""
from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

from drivers.fonts import sc_font
from drivers.ticket_printer.raster import qr_image
from drivers.ticket_printer.virtual.decoder import DecodedTicket, Feed, QrCode, RasterImage, TextLine

CELL_H = 24
LINE_SPACING = 30     # dots per text line at normal size (ESC 2 default on 203-dpi printers)


def _x(align: str, width: int, item_w: int) -> int:
    return {"center": (width - item_w) // 2, "right": width - item_w}.get(align, 0)


def _text(line: TextLine, width: int) -> Image.Image:
    height = max(LINE_SPACING, CELL_H * line.height + 6)
    img = Image.new("1", (width, height), 1)
    if not line.text:
        return img
    font = sc_font(CELL_H * line.height, bold=line.bold, mono=True)
    text_w = int(font.getlength(line.text))
    # GS ! may magnify width and height differently: draw at the height's size, then stretch.
    glyphs = Image.new("1", (max(1, text_w), height), 0 if line.invert else 1)
    ImageDraw.Draw(glyphs).text((0, height // 2), line.text, font=font, fill=1 if line.invert else 0, anchor="lm")
    if line.width != line.height:
        glyphs = glyphs.resize((max(1, text_w * line.width // line.height), height))
    glyphs = glyphs.crop((0, 0, min(glyphs.width, width), height))
    img.paste(glyphs, (max(0, _x(line.align, width, glyphs.width)), 0))
    return img


def render_paper(ticket: DecodedTicket, width: int) -> Image.Image:
    parts: list[Image.Image] = []
    for item in ticket.items:
        if isinstance(item, TextLine):
            parts.append(_text(item, width))
        elif isinstance(item, RasterImage):
            img = Image.new("1", (width, item.image.height), 1)
            img.paste(item.image.crop((0, 0, min(width, item.image.width), item.image.height)),
                      (max(0, _x(item.align, width, item.image.width)), 0))
            parts.append(img)
        elif isinstance(item, QrCode):
            code = qr_image(item.data, max(1, item.module))
            img = Image.new("1", (width, code.height), 1)
            img.paste(code, (max(0, _x(item.align, width, code.width)), 0))
            parts.append(img)
        elif isinstance(item, Feed) and item.dots:
            parts.append(Image.new("1", (width, item.dots), 1))
    out = Image.new("1", (width, max(1, sum(p.height for p in parts))), 1)
    y = 0
    for p in parts:
        out.paste(p, (0, y))
        y += p.height
    return out


def save_paper(ticket: DecodedTicket, width: int, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    render_paper(ticket, width).save(path)
    return path
