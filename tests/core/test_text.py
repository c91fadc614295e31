"""The one bilingual text type: what logs and the wire show, what a screen picks, the old literals."""
from __future__ import annotations

import dataclasses

import pytest

from contract.catalog import ServiceCategory, ServiceItem
from ztc.domain.errors import QueueError
from ztc.text import Text


def test_str_is_both_sides_chinese_first() -> None:
    assert str(Text("取号", "Take a number")) == "取号 / Take a number"
    assert str(Text("GPS", "GPS")) == "GPS"
    assert str(Text("只有中文")) == "只有中文"


def test_pick_falls_back_to_chinese() -> None:
    t = Text("等候", "waiting")
    assert (t.pick("zh"), t.pick("en"), t.pick("fr")) == ("等候", "waiting", "等候")
    assert Text("临时站点").pick("en") == "临时站点"


def test_format_fills_both_sides() -> None:
    t = Text("当前等候 {n} 人", "{n} people waiting").format(n=3)
    assert t == Text("当前等候 3 人", "3 people waiting")


def test_parse_splits_the_old_literals() -> None:
    assert Text.parse("打印超时 / not in time") == Text("打印超时", "not in time")
    assert Text.parse("no separator") == Text("no separator", "")
    assert str(Text.parse("a / b / c")) == "a / b / c"


def test_frozen_and_unpacks_as_the_old_pair() -> None:
    t = Text("办结", "Completed")
    with pytest.raises(dataclasses.FrozenInstanceError):
        t.zh = "x"  # type: ignore[misc]  # the assignment is the point: frozen must refuse it
    zh, en = t
    assert (zh, en) == ("办结", "Completed") and " / ".join(t) == str(t)


def test_named_reads_the_wire_fields() -> None:
    cat = ServiceCategory(code="A", name_zh="社保", name_en="Social insurance",
                          items=[ServiceItem(code="A01", name_zh="查询", name_en="", minutes=5)])
    assert Text.named(cat) == Text("社保", "Social insurance")
    assert Text.named(cat.items[0]).pick("en") == "查询"


def test_queue_error_carries_a_text() -> None:
    e = QueueError("cutoff", Text("已截止", "cut off"), later=[])
    assert str(e) == "已截止 / cut off" and e.message.pick("en") == "cut off"
    assert (e.zh, e.en) == ("已截止", "cut off")
    assert e.to_dict() == {"ok": False, "error": "cutoff", "message": "已截止 / cut off", "later": []}
