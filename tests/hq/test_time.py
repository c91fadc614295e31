"""Headquarters' day and clock at an evening instant (16:30 UTC = 00:30 next day in Beijing), on a
machine whose own zone is New York: the pages' clock route, the CSV and the PDF are Beijing's."""
from __future__ import annotations

import base64
import csv
import io
import re
import time
import zlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from tests.hq.conftest import Hq
from ztc.settings import HqSettings

EVENING = datetime(2026, 12, 1, 16, 30, tzinfo=UTC).timestamp()  # 2026-12-02 00:30 in Beijing


@pytest.fixture
def machine_in_new_york(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The process's local zone is not Beijing's: anything reading local time shows up wrong."""
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_clock_route_gives_the_zone_and_day_of_headquarters_not_the_machine(
        hq: Hq, new_hq_url: Callable[[], str], machine_in_new_york: None) -> None:
    hq.clock.now = EVENING
    c = hq.client()  # public: the resident's pages need it too, no log-in
    assert c.get("/api/public/clock").json() == {"timezone": "Asia/Shanghai", "now": EVENING, "today": "2026-12-02"}
    other = Hq(new_hq_url(), HqSettings(timezone="America/Los_Angeles"))
    try:
        other.clock.now = EVENING
        assert other.client().get("/api/public/clock").json()["today"] == "2026-12-01"  # hq.timezone decides
    finally:
        other.close()


def test_csv_and_pdf_of_the_evening_are_the_beijing_day(hq: Hq, machine_in_new_york: None) -> None:
    hq.clock.now = EVENING
    hq.events("bus-a", [("ticket.issued", EVENING - 600, {"ticket_id": "t1", "service": "A", "stop": "nanma"}),
                        ("ticket.issued", EVENING - 3600, {"ticket_id": "t0", "service": "A", "stop": "nanma"})])
    c, _ = hq.login()
    rows = list(csv.reader(io.StringIO(c.get("/api/v1/stats.csv").text.lstrip("\ufeff"))))  # "today"
    bus = next(r for r in rows if r[1] == "bus-a" and r[2] == "bus")
    assert (bus[0], bus[4]) == ("2026-12-02", "1")  # 00:20 Beijing is today; 23:30 was yesterday
    yesterday = list(csv.reader(io.StringIO(c.get("/api/v1/stats.csv?date=2026-12-01").text.lstrip("\ufeff"))))
    assert next(r for r in yesterday if r[1] == "bus-a" and r[2] == "bus")[4] == "1"
    text = pdf_text(c.get("/api/v1/report.pdf").content)
    assert "2026-12-02" in text and "Asia/Shanghai" in text
    generated = datetime.fromtimestamp(EVENING, ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")
    assert f"generated: {generated}" in text  # headquarters' clock in Beijing time, not the machine's


def pdf_text(pdf: bytes) -> str:
    """The text reportlab drew: page streams (ASCII85 + Flate), strings in UTF-16 for the CID font."""
    out = []
    for head, body in re.findall(rb"<<(.*?)>>\s*stream\r?\n(.*?)endstream", pdf, re.S):
        data = body.strip()
        if b"ASCII85Decode" in head:
            data = base64.a85decode(data.removesuffix(b"~>"))
        if b"FlateDecode" in head:
            data = zlib.decompress(data)
        for s in re.findall(rb"\(((?:\\.|[^\\)])*)\)", data, re.S):
            raw = re.sub(rb"\\([0-7]{1,3}|.)", lambda m: bytes([int(m.group(1), 8)]) if m.group(1).isdigit()
                         else m.group(1), s)
            out.append(raw.decode("utf-16-be", "replace") if b"\x00" in raw or raw[:1] >= b"\x80" else
                       raw.decode("latin-1"))
    return "".join(out)
