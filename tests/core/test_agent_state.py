"""The agent's state file for the crew console (ztc/agent_state.py) and how the console words it
(kiosk/roles/crew/link_lines.py, no Kivy): fresh, stale, missing, malformed, a folder that is not there."""
from __future__ import annotations

import datetime as dt
import logging

import pytest

from kiosk.roles.crew.link_lines import gps_lines, uplink_lines
from ztc.agent_state import STALE_AFTER_S, AgentStateWriter, read_agent_state, state_path

TZ = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2026, 5, 18, 10, 0, 0, tzinfo=TZ).timestamp()


def state(**link) -> dict:
    return {"ts": NOW, "link": {"connected": True, "since": NOW - 600, "last_ack_at": NOW - 5, "acked_upto": 42,
                                **link},
            "gps": {"device": {"state": "ok", "detail": "3D 定位正常 / 3D fix", "fix_age_s": 1.0},
                    "fix": {"ts": NOW - 1, "lat": 36.1942, "lon": 118.1887, "mode": 3, "sats": 8},
                    "stop": "nanma-xincun", "stop_name": "南麻街道新村社区", "departure_pending": True}}


def names(stop: str, fallback: str) -> str:
    return fallback


def test_fresh_state_in_both_languages(tmp_path):
    assert AgentStateWriter(state_path(tmp_path)).write(state())
    found = read_agent_state(tmp_path, NOW + 3)
    assert found.fresh and found.problem is None
    zh = uplink_lines(found, {"pending": 0, "oldest_ts": None}, "zh", NOW, TZ)
    assert zh == ["上传中心：已连接（09:50:00 起）", "中心最后确认：09:59:55（至第 42 条）", "上传中心：全部已上传"]
    en = gps_lines(found, "en", TZ, names)
    assert en[0] == "GPS: 3D fix, 8 satellites, 36.19420, 118.18870 (09:59:59)"
    assert en[1] == "GPS says: at 南麻街道新村社区"
    assert en[2].startswith("The bus has left with tickets still open")
    down = uplink_lines(read_agent_state(tmp_path, NOW), {"pending": 3, "oldest_ts": NOW - 700}, "en", NOW, TZ)
    assert down[-1] == "Uplink to HQ: 3 events waiting, oldest 11 min"


def test_a_silent_agent_is_never_shown_connected(tmp_path):
    AgentStateWriter(state_path(tmp_path)).write(state())
    found = read_agent_state(tmp_path, NOW + STALE_AFTER_S + 45)
    assert not found.fresh
    lines = uplink_lines(found, None, "zh", NOW + 60, TZ)
    assert lines == ["上传中心：上传程序 60 秒无响应"]
    assert gps_lines(found, "zh", TZ, names) == ["GPS：状态未知（上传程序未运行）"]


@pytest.mark.parametrize(("content", "words"), [
    (None, "not running"),
    ("{not json", "cannot read the agent state"),
    ('["a list"]', "malformed"),
    ('{"ts": "yesterday"}', "malformed"),
])
def test_missing_or_broken_file_is_named(tmp_path, content, words):
    if content is not None:
        state_path(tmp_path).write_text(content)
    found = read_agent_state(tmp_path, NOW)
    assert found.state is None and not found.fresh and words in found.problem[1]
    assert uplink_lines(found, None, "en", NOW, TZ)[0].startswith("Uplink to HQ: ")


def test_a_missing_folder_is_logged_once_and_never_raises(tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="ztc.agent_state")
    writer = AgentStateWriter(state_path(tmp_path / "gone"))
    assert not writer.write(state()) and not writer.write(state())
    assert writer.failures == 2
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "cannot write the agent state" in warnings[0].getMessage()   # once, not per try
    (tmp_path / "gone").mkdir()
    assert writer.write(state())                     # the folder is back: writing resumes
    assert read_agent_state(tmp_path / "gone", NOW).fresh
