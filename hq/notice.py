"""The printable notice (服务公告) a village liaison posts: one A4 page per stop with the published
sessions of the coming weeks, the holidays in between, and a QR code to the public calendar.

Drawn with reportlab like the daily report (``hq/report.py``): the built-in CID font STSong-Light
renders Chinese without shipping a font file, and reportlab's own QR widget needs no image library.
Only what ``RouteCalendar.public`` returns is printed: no liaison phone, nothing personal.
"""
from __future__ import annotations

import io
from typing import Any

FONT = "STSong-Light"


def _md(iso: str) -> str:
    return f"{int(iso[5:7])}月{int(iso[8:])}日"


def notice_pdf(stop: dict[str, Any], calendar: dict[str, Any], services: dict[str, str], url: str,
               office: str) -> bytes:
    """``stop``: one entry of ``RouteCalendar.public()["stops"]`` (or a stop with no sessions);
    ``services``: code → "中文 / English"; ``url``: the public page the QR code opens."""
    from reportlab.graphics.barcode.qr import QrCodeWidget
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    title = ParagraphStyle("t", fontName=FONT, fontSize=26, leading=34, alignment=1)
    head = ParagraphStyle("h", fontName=FONT, fontSize=16, leading=22, alignment=1)
    body = ParagraphStyle("b", fontName=FONT, fontSize=12, leading=18)
    cell = ParagraphStyle("c", fontName=FONT, fontSize=11, leading=15)
    small = ParagraphStyle("s", fontName=FONT, fontSize=9, leading=12, textColor=colors.grey)

    def p(text: str, style: ParagraphStyle = cell) -> Paragraph:
        return Paragraph(text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"), style)

    story: list[Any] = [p("政务服务直通车 服务公告", title), Spacer(1, 4 * mm),
                        p(f"{stop.get('village') or ''} {stop['name']}".strip(), head),
                        p(f"{_md(calendar['from'])} 至 {_md(calendar['to'])}", head), Spacer(1, 6 * mm),
                        p("政务服务直通车将按以下时间到本地点现场办理政务服务，欢迎群众前来办事、咨询。", body),
                        Spacer(1, 4 * mm)]
    rows = [[p("日期"), p("时间"), p("服务内容"), p("可办业务")]]
    for s in stop.get("sessions", []):
        what = s["kind_zh"] + (f"：{s['theme']}" if s.get("theme") else "")
        if s.get("description"):
            what += f"（{s['description']}）"
        names = "、".join(services.get(c, c).split(" / ")[0] for c in s["services"])
        rows.append([p(f"{_md(s['date'])} {s['weekday_zh']}"), p(f"{s['arrive']}–{s['depart']}"), p(what), p(names)])
    if len(rows) == 1:
        rows.append([p("—"), p("—"), p("近期暂无安排"), p("—")])
    table = Table(rows, colWidths=[32 * mm, 28 * mm, 62 * mm, 52 * mm], repeatRows=1)
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#fbe9e7")),
                               ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    story += [table, Spacer(1, 5 * mm)]
    holidays = [d for d in calendar.get("days", []) if d["kind"] == "holiday"]
    if holidays:
        names: dict[str, list[str]] = {}
        for d in holidays:
            names.setdefault(d["name_zh"] or "节假日", []).append(d["date"])
        text = "；".join(f"{n} {_md(ds[0])}" + (f"至{_md(ds[-1])}" if len(ds) > 1 else "") for n, ds in names.items())
        guess = "（预计，以国务院通知为准）" if any(d["estimated"] for d in holidays) else ""
        story.append(p(f"节假日：{text}放假{guess}，上表以外不出车。", body))
    swaps = [d for d in calendar.get("days", []) if d["kind"] == "swap_workday"]
    if swaps:
        story.append(p("调休上班：" + "、".join(_md(d["date"]) for d in swaps) + "。", body))
    story.append(Spacer(1, 6 * mm))
    qr = QrCodeWidget(url)
    x0, y0, x1, y1 = qr.getBounds()
    size = 38 * mm
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(qr)
    story.append(Table([[drawing, [p("扫码查看最新安排", body), p("如有调整，以网上公布为准。", body),
                                   p(url, small)]]], colWidths=[44 * mm, 130 * mm],
                       style=TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE")])))
    story += [Spacer(1, 8 * mm), p(office, head)]
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=18 * mm,
                      bottomMargin=15 * mm, title=f"服务公告 {stop['name']}").build(story)
    return out.getvalue()
