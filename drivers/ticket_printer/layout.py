"""The one description of a ticket's layout, rendered by both the native and the raster renderer.

Why a separate description: the two text modes must print the *same* ticket (same lines, same line
breaks, same marks), so the decisions — what goes on which line, at what size — are made once here
in printer terms (a 12×24-dot character cell, magnified 1..8 times, like ESC/POS Font A), and the
renderers only translate blocks into bytes or pixels.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Literal

from drivers.ticket_printer.content import HINT_EN, HINT_ZH, TicketContent
from ztc import text as ztc_text
from ztc.wallclock import FLOOR_TS

CELL_W = 12          # dots per half-width character (Font A); a Chinese character is two cells
CELL_H = 24
PAPER_DOTS = {80: 576, 58: 384}
Align = Literal["left", "center", "right"]


@dataclass(frozen=True)
class Text:
    """One printed line (already wrapped to fit)."""

    text: str
    scale: int = 1          # magnification of the 12×24 cell, 1..8 (ESC/POS GS ! limits)
    bold: bool = False
    align: Align = "left"
    invert: bool = False    # white on black: the marks (优先, 预约, 副本) that must stand out


@dataclass(frozen=True)
class Rule:
    """A horizontal separator across the paper."""


@dataclass(frozen=True)
class Qr:
    data: str
    module: int = 6         # dots per QR module


@dataclass(frozen=True)
class Feed:
    lines: int = 1


Block = Text | Rule | Qr | Feed


@dataclass(frozen=True)
class Layout:
    width_dots: int
    blocks: tuple[Block, ...]

    @property
    def columns(self) -> int:
        return self.width_dots // CELL_W

    def texts(self) -> list[str]:
        return [b.text for b in self.blocks if isinstance(b, Text)]


def char_cells(ch: str) -> int:
    """Cells a character takes on a printer: 2 for Chinese (wide/full-width), else 1."""
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def cells(text: str) -> int:
    return sum(char_cells(c) for c in text)


def wrap(text: str, columns: int) -> list[str]:
    """Break ``text`` into lines of at most ``columns`` cells; Latin words stay whole when they fit."""
    lines: list[str] = []
    line = ""
    for token in _tokens(text):
        if cells(line + token) <= columns:
            line += token
            continue
        if line.strip():
            lines.append(line.rstrip())
        line = token.lstrip()
        while cells(line) > columns:          # a single token longer than a line: hard break
            cut = _fit(line, columns)
            lines.append(line[:cut])
            line = line[cut:]
    if line.strip() or not lines:
        lines.append(line.rstrip())
    return lines


def _tokens(text: str) -> list[str]:
    """Latin words (with their leading space) stay together; every Chinese character is its own token."""
    out: list[str] = []
    for ch in text:
        if char_cells(ch) == 2 or not out or ch == " " or char_cells(out[-1][-1]) == 2:
            out.append(ch)
        else:
            out[-1] += ch
    return out


def _fit(text: str, columns: int) -> int:
    used = 0
    for n, ch in enumerate(text):
        used += char_cells(ch)
        if used > columns:
            return max(1, n)
    return len(text)


def fit_scale(text: str, columns: int, preferred: int) -> int:
    """The largest scale ≤ ``preferred`` at which ``text`` fits on one line (at least 1)."""
    for scale in range(preferred, 1, -1):
        if cells(text) * scale <= columns:
            return scale
    return 1


def lines(text: str, columns: int, scale: int = 1, bold: bool = False, align: Align = "left",
          invert: bool = False) -> list[Text]:
    return [Text(t, scale, bold, align, invert) for t in wrap(text, columns // scale)]


def bilingual(text: ztc_text.Text, columns: int, sep: str = " / ", align: Align = "left") -> list[Text]:
    """"zh / en" on one line when it fits, else Chinese first and English below (never split mid-phrase)."""
    zh, en = text.zh, text.en
    one = f"{zh}{sep}{en}"
    if cells(one) <= columns:
        return [Text(one, align=align)]
    return lines(zh, columns, align=align) + lines(en, columns, align=align)


# What the resident reads on the ticket (``ztc_text.Text``: ``Text`` here is a printed line).
YOUR_NUMBER = ztc_text.Text("您的号码", "Your number")
AHEAD = ztc_text.Text("前面还有 {n} 人", "{n} ahead of you")
NOBODY_AHEAD = ztc_text.Text("前面没有人", "nobody ahead of you")
EST_WAIT = ztc_text.Text("预计等候约 {min} 分钟", "about {min} min")
STOP_LABEL = ztc_text.Text("站点", "Stop")
TIME_LABEL = ztc_text.Text("时间", "Time")
# The marks print "中文 ENGLISH" (a space, no slash: they are short and printed inverted).
COPY_MARK = ztc_text.Text("副本", "COPY")
PRIORITY_MARK = ztc_text.Text("优先", "PRIORITY")
APPOINTMENT_MARK = ztc_text.Text("预约", "APPOINTMENT")
SCAN_HINT = ztc_text.Text("扫码查看排队进度", "Scan to check your place")
HOTLINE_LABEL = ztc_text.Text("服务热线", "Hotline")


def ticket_layout(t: TicketContent, paper_width_mm: int) -> Layout:
    """The queue ticket: bus, marks, the number in very large type, service, wait, stop, time, QR, hint."""
    width = PAPER_DOTS[paper_width_mm]
    cols = width // CELL_W
    b: list[Block] = []
    b += lines(t.bus_name_zh, cols, fit_scale(t.bus_name_zh, cols, 2), bold=True, align="center")
    b += lines(t.bus_name_en, cols, align="center")
    b.append(Rule())
    marks: list[ztc_text.Text] = []
    if t.copy:
        marks.append(COPY_MARK)
    if t.priority:
        marks.append(PRIORITY_MARK)
    if t.appointment:
        marks.append(APPOINTMENT_MARK)
    for text in marks:
        mark = f"{text.zh} {text.en}"
        b += lines(mark, cols, fit_scale(mark, cols, 2), bold=True, align="center", invert=True)
    b += lines(str(YOUR_NUMBER), cols, align="center")
    b += lines(t.number, cols, fit_scale(t.number, cols, 6), bold=True, align="center")
    b += lines(t.service_zh, cols, fit_scale(t.service_zh, cols, 2), bold=True, align="center")
    b += lines(t.service_en, cols, align="center")
    if t.item_zh:
        b += bilingual(ztc_text.Text(t.item_zh, t.item_en or ""), cols, align="center")
    b.append(Rule())
    if t.ahead:
        b += bilingual(AHEAD.format(n=t.ahead), cols)
    else:
        b += bilingual(NOBODY_AHEAD, cols)
    if t.est_wait_min:
        b += bilingual(EST_WAIT.format(min=t.est_wait_min), cols)
    if t.stop_name:
        b += lines(f"{STOP_LABEL}：{t.stop_name}", cols)
    if t.issued_at.timestamp() >= FLOOR_TS:  # a clock still at 1970 after boot prints no date at all
        b += lines(f"{TIME_LABEL}：{t.issued_at:%Y-%m-%d %H:%M}", cols)
    b.append(Rule())
    b.append(Qr(t.qr_url, module=8 if width >= 576 else 6))
    b += bilingual(SCAN_HINT, cols, align="center")
    if t.hotline:
        b += lines(f"{HOTLINE_LABEL}：{t.hotline}", cols, align="center")
    b += lines(HINT_ZH, cols, fit_scale(HINT_ZH, cols, 2), bold=True, align="center")
    b += lines(HINT_EN, cols, align="center")
    b.append(Feed(2))
    return Layout(width, tuple(b))
