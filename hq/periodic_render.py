"""A regular report (``hq.periodic``) as CSV and as a PDF with charts (reportlab, like the daily report).

Every text that reaches reportlab's Paragraph markup is escaped first (``xml.sax.saxutils.escape``):
a stop or bus name such as ``<b>`` or ``<a href=javascript:…>`` is printed as those characters,
never interpreted. Table cells are given as plain strings, which reportlab draws without markup.
"""
from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from hq.periodic import KINDS
from ztc.domain.demand import REASONS
from ztc.domain.vocabulary import OUTCOMES

# (key, Chinese, English): the rows of the report, in the order a reader expects them.
ROWS: list[tuple[str, str, str]] = [
    ("sessions_planned", "计划服务场次", "sessions planned"),
    ("sessions_held", "实际服务场次", "sessions held"),
    ("sessions_missed", "未按计划到达场次", "planned sessions missed"),
    ("late_arrivals", "晚点到达（超过5分钟）", "late arrivals (> 5 min)"),
    ("late_mean_min", "平均晚点(分钟)", "mean lateness (min)"),
    ("home_visits", "上门服务次数", "home visits"),
    ("tickets", "取号人次", "tickets issued"),
    ("served", "服务群众人次", "residents served"),
    *[(f"outcome.{k}", zh, en) for k, (zh, en) in OUTCOMES.items()],
    ("wait_median_min", "等候时间中位数(分钟)", "waiting median (min)"),
    ("wait_p90_min", "等候时间P90(分钟)", "waiting p90 (min)"),
    ("service_median_min", "办理时间中位数(分钟)", "service median (min)"),
    ("pages_scanned", "扫描页数", "pages scanned"),
    ("pages_printed", "打印复印页数", "pages printed and copied"),
    ("ems_shipments", "EMS寄递件数", "EMS shipments"),
    ("accepted_open", "受理件（办理中）", "accepted cases open"),
    ("accepted_done", "受理件（已办结）", "accepted cases completed"),
    ("accepted_overdue", "受理件（已超期）", "accepted cases overdue"),
    ("ratings", "评价数", "ratings"),
    ("rating_rate", "参评率", "share of services rated"),
    ("good_rate", "好评率", "share of good ratings"),
    ("ratings_bad", "差评数", "bad ratings"),
    ("callback_rate", "差评回访率", "bad ratings called back"),
    ("rectify_rate", "差评整改率", "bad ratings rectified"),
    ("days_to_close_mean", "差评平均整改天数", "mean days to close a bad rating"),
    ("suggestions_kiosk", "意见建议（车上）", "suggestions (kiosk)"),
    ("suggestions_phone", "意见建议（手机）", "suggestions (phone)"),
    ("refused", "未能满足的需求", "requests refused"),
    *[(f"refused.{k}", f"　其中：{zh}", f"  of which: {en}") for k, (zh, en) in REASONS.items()],
]
RATES = {"rating_rate", "good_rate", "callback_rate", "rectify_rate"}


def value(f: dict[str, Any], key: str) -> Any:
    if key.startswith("outcome."):
        return f["outcomes"].get(key.split(".", 1)[1], 0)
    if key.startswith("refused."):
        return f["refused_by_reason"].get(key.split(".", 1)[1], 0)
    return f.get(key)


def shown(key: str, v: Any) -> str:
    """The printed form: rates as percentages, missing figures as '-'."""
    if v is None:
        return "-"
    if key in RATES:
        return f"{v * 100:.1f}%"
    return str(v)


def csv_text(rep: dict[str, Any]) -> str:
    """One row per (scope, indicator); UTF-8 with BOM for spreadsheet programs."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["报告 report", "起 first", "止 last", "范围 scope", "指标 key", "指标 indicator", "值 value"])
    scopes = [("county", rep["county"]), *[(b["bus"], b) for b in rep["buses"]]]
    for scope, f in scopes:
        for key, zh, en in ROWS:
            v = value(f, key)
            w.writerow([rep["label"], rep["first"], rep["last"], scope, key, f"{zh} {en}", "" if v is None else v])
    return "\ufeff" + out.getvalue()


def pdf_bytes(rep: dict[str, Any], office: str = "") -> bytes:
    from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
    from reportlab.graphics.shapes import Drawing, String
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = "STSong-Light"
    pdfmetrics.registerFont(UnicodeCIDFont(font))
    title = ParagraphStyle("t", fontName=font, fontSize=16, leading=22)
    body = ParagraphStyle("b", fontName=font, fontSize=9, leading=13)
    h2 = ParagraphStyle("h", fontName=font, fontSize=12, leading=18, spaceBefore=8)
    grid = TableStyle([("FONT", (0, 0), (-1, -1), font, 8), ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
                       ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke), ("ALIGN", (1, 1), (-1, -1), "RIGHT")])

    def p(text: str, style: ParagraphStyle = body) -> Paragraph:
        return Paragraph(escape(text), style)

    zh, en = KINDS[rep["kind"]]
    tz = ZoneInfo(rep["timezone"])
    made = datetime.fromtimestamp(rep["generated_at"], tz).strftime("%Y-%m-%d %H:%M")
    scopes = [("全县 county", rep["county"]), *[(b["bus"], b) for b in rep["buses"]]]
    story: list[Any] = [
        p(f"政务服务直通车{zh} {rep['label']} / {en} report", title),
        p(f"{rep['first']} 至 {rep['last']}（{rep['timezone']}）；生成 generated {made}"
          + (f"；{office}" if office else "")), Spacer(1, 4 * mm),
        p("主要指标 / figures", h2)]
    head = ["指标 indicator", *[s for s, _ in scopes]]
    data = [head] + [[f"{zh_} {en_}", *[shown(key, value(f, key)) for _, f in scopes]] for key, zh_, en_ in ROWS]
    widths = [85 * mm] + [max(18 * mm, (95 * mm) / max(1, len(scopes)))] * len(scopes)
    t = Table(data, repeatRows=1, colWidths=widths)
    t.setStyle(grid)
    story.append(t)

    def bars(labels: list[str], values: list[int], caption: str, horizontal: bool = False) -> Drawing:
        d = Drawing(180 * mm, 60 * mm if not horizontal else max(40, 16 * len(labels)) + 30)
        chart = HorizontalBarChart() if horizontal else VerticalBarChart()
        chart.x, chart.y = (120, 10) if horizontal else (35, 30)
        chart.width = 180 * mm - chart.x - 20
        chart.height = d.height - chart.y - 25
        chart.data = [values or [0]]
        chart.categoryAxis.categoryNames = labels or ["-"]
        chart.categoryAxis.labels.fontName = font
        chart.categoryAxis.labels.fontSize = 7
        chart.valueAxis.valueMin = 0
        chart.bars[0].fillColor = colors.HexColor("#c0392b")
        d.add(chart)
        d.add(String(0, d.height - 12, caption, fontName=font, fontSize=9))  # drawn as text, never markup
        return d

    story += [p("图表 / charts", h2),
              bars([s for s, _ in scopes[1:]], [f["served"] for _, f in scopes[1:]], "各车服务人次 / served per bus"),
              bars([OUTCOMES[k].zh for k in OUTCOMES], [rep["county"]["outcomes"][k] for k in OUTCOMES],
                   "办理结果 / outcomes (全县 county)"),
              bars([REASONS[k][0] for k in REASONS], [rep["county"]["refused_by_reason"].get(k, 0) for k in REASONS],
                   "未能满足的需求 / unmet demand by reason", horizontal=True)]
    demand = rep["county"]["demand"]
    story.append(p("群众想办未办成的事（按站点、业务）/ what people came for and could not get", h2))
    if demand:
        rows = [["站点 stop", "业务 service", "次数 count", "原因 reasons"]]
        rows += [[d["name"], d["service"], str(d["total"]),
                  "，".join(f"{REASONS.get(k, (k,))[0]} {n}" for k, n in d["by_reason"].items())] for d in demand]
        t = Table(rows, repeatRows=1, colWidths=[55 * mm, 20 * mm, 18 * mm, 87 * mm])
        t.setStyle(grid)
        story.append(t)
    else:
        story.append(p("本期没有记录 / none recorded in this period"))
    topics = rep["county"]["top_topics"]
    if topics:
        listed = "；".join(f"{x['text']} {x['count']}" for x in topics)
        story.append(p(f"意见建议（前5）/ top suggestion topics: {listed}"))
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4, title=f"ztc {rep['kind']} {rep['label']}", leftMargin=15 * mm,
                      rightMargin=15 * mm).build(story)
    return out.getvalue()
