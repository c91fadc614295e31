"""The day's figures as CSV (for spreadsheets) and as a printable PDF daily report (日报).

reportlab draws the PDF: it is well kept, pure Python with no browser or office suite to install,
and its built-in Adobe CID font ``STSong-Light`` renders Simplified Chinese without shipping a font
file (the PDF viewer supplies the glyphs, as every Chinese PDF reader does).

reportlab's ``Paragraph`` parses its text as markup (``<b>``, ``<img>``, ``<a href>``), and stop names,
bus ids and case resolutions come from outside: every text goes through ``_text`` (XML-escaped)
before it reaches a Paragraph, and table cells get plain strings (drawn as they are, never parsed).
"""
from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

FIELDS = ("tickets", "served", "no_shows", "cancelled", "wait_median_s", "wait_p90_s", "service_median_s",
          "service_mean_s")
HEADERS_ZH = ("取号", "办结", "过号", "取消", "等候中位数(秒)", "等候P90(秒)", "办理中位数(秒)", "办理平均(秒)")


def _text(value: Any) -> str:
    """Any value as Paragraph-safe text: markup characters escaped, control characters dropped."""
    text = "" if value is None else str(value)
    return escape("".join(ch for ch in text if ch >= " " or ch in "\n\t"))


def _cell(value: Any) -> Any:
    """A table cell: numbers as they are, anything else as a plain string (never markup)."""
    return value if isinstance(value, int | float) and not isinstance(value, bool) else _text_plain(value)


def _text_plain(value: Any) -> str:
    return "" if value is None else "".join(ch for ch in str(value) if ch >= " ")


def _rows(stats: dict[str, Any]) -> list[list[Any]]:
    rows: list[list[Any]] = []

    def add(bus: str, group: str, key: str, f: dict[str, Any]) -> None:
        r = f["ratings"]
        rows.append([stats["date"], bus, group, key, *[f[k] for k in FIELDS], r["count"], r["mean"], r["bad"]])

    add("*", "fleet", "*", stats["fleet"])
    for b in stats["buses"]:
        add(b["bus"], "bus", "*", b["totals"])
        for s in b["by_stop"]:
            add(b["bus"], "stop", s["stop"], s)
        for s in b["by_service"]:
            add(b["bus"], "service", s["service"], s)
    return rows


def csv_text(stats: dict[str, Any]) -> str:
    """One row per (bus, group, key); UTF-8 with BOM so spreadsheet programs show the Chinese header."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["日期 date", "车辆 bus", "分组 group", "键 key",
                *[f"{zh} {en}" for zh, en in zip(HEADERS_ZH, FIELDS, strict=True)],
                "评价数 ratings", "平均评价 rating_mean", "差评 bad_ratings"])
    w.writerows([["" if v is None else v for v in row] for row in _rows(stats)])
    return "\ufeff" + out.getvalue()


def daily_pdf(stats: dict[str, Any], cases: list[dict[str, Any]]) -> bytes:
    from reportlab.graphics.charts.barcharts import VerticalBarChart
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    title = ParagraphStyle("t", fontName="STSong-Light", fontSize=16, leading=22)
    body = ParagraphStyle("b", fontName="STSong-Light", fontSize=9, leading=13)
    h2 = ParagraphStyle("h", fontName="STSong-Light", fontSize=12, leading=18, spaceBefore=6)
    style = TableStyle([("FONT", (0, 0), (-1, -1), "STSong-Light", 8),
                        ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
                        ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke)])

    def figures_table(first: str, rows: list[tuple[str, dict[str, Any]]]) -> Table:
        head = [first, "取号", "办结", "过号", "等候中位(分)", "等候P90(分)", "办理中位(分)", "评价", "差评"]
        data: list[list[Any]] = [head]
        for label, f in rows:
            data.append([_cell(label), f["tickets"], f["served"], f["no_shows"], _minutes(f["wait_median_s"]),
                         _minutes(f["wait_p90_s"]), _minutes(f["service_median_s"]),
                         f["ratings"]["mean"] if f["ratings"]["mean"] is not None else "-", f["ratings"]["bad"]])
        t = Table(data, repeatRows=1)
        t.setStyle(style)
        return t

    story: list[Any] = [Paragraph(f"政务服务直通车日报 / Daily report — {_text(stats['date'])}", title),
                        Paragraph(f"时区 timezone: {_text(stats['timezone'])}；生成 generated: "
                                  f"{datetime.now(ZoneInfo(stats['timezone'])).strftime('%Y-%m-%d %H:%M')}", body),
                        Spacer(1, 4 * mm),
                        Paragraph("全车队 / Fleet", h2), figures_table("车队", [("全部", stats["fleet"])])]
    for b in stats["buses"]:
        story += [Paragraph(f"车辆 / Bus {_text(b['bus'])}", h2), figures_table("合计", [("合计", b["totals"])]),
                  Spacer(1, 2 * mm),
                  figures_table("停靠点 stop", [(s["name"], s) for s in b["by_stop"]]), Spacer(1, 2 * mm),
                  figures_table("业务 service", [(s["service"], s) for s in b["by_service"]])]
        if b["by_hour"]:
            story += [Paragraph("每小时取号 / tickets per hour", body), _hour_chart(b["by_hour"], Drawing,
                                                                              VerticalBarChart, colors)]
        late = [a for a in b["arrivals"] if isinstance(a.get("late_s"), int | float)]
        if late:
            story.append(Paragraph("到站晚点 / lateness: " + "；".join(
                f"{_text(a['name'])} {round(a['late_s'] / 60)} 分钟" for a in late), body))
    story.append(Paragraph(f"差评整改 / Bad-rating follow-up ({len(cases)})", h2))
    if cases:
        data = [["车辆", "号码", "评价", "状态", "负责人", "整改结果"]]
        data += [[_cell(c["bus"]), _cell(c["number"]), _cell(c["level_text"].split(" / ")[0]), _cell(c["status"]),
                  _cell(c["assignee"]), Paragraph(_text(c["resolution"]), body)] for c in cases]
        t = Table(data, repeatRows=1, colWidths=[25 * mm, 18 * mm, 22 * mm, 18 * mm, 22 * mm, 70 * mm])
        t.setStyle(style)
        story.append(t)
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4, title=f"ztc {stats['date']}", leftMargin=15 * mm,
                      rightMargin=15 * mm).build(story)
    return out.getvalue()


def _minutes(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds / 60:.1f}"


def _hour_chart(by_hour: list[dict[str, Any]], Drawing: Any, VerticalBarChart: Any, colors: Any) -> Any:
    d = Drawing(170 * 2.83, 110)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 30, 20, 420, 80
    chart.data = [[h["tickets"] for h in by_hour]]
    chart.categoryAxis.categoryNames = [f"{h['hour']:02d}" for h in by_hour]
    chart.valueAxis.valueMin = 0
    chart.bars[0].fillColor = colors.HexColor("#c0392b")
    d.add(chart)
    return d
