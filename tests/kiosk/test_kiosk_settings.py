"""The kiosk section of the configuration: defaults, bounds and clear errors."""
from __future__ import annotations

import pytest

from kiosk.voice import announcer_from_settings
from ztc.settings import ConfigError, load_settings


def test_defaults_and_env_override(tmp_path):
    s = load_settings(environ={"ZTC_DATA_DIR": str(tmp_path), "ZTC_KIOSK__FULLSCREEN": "false"})
    assert s.kiosk.fullscreen is False and s.kiosk.resident_idle_s == 60 and s.kiosk.voice.voice == "cmn"


def test_quiet_hours_need_both_ends(tmp_path):
    with pytest.raises(ConfigError) as e:
        load_settings(environ={"ZTC_DATA_DIR": str(tmp_path), "ZTC_KIOSK__VOICE__QUIET_START": "12:00"})
    assert "ZTC_KIOSK__VOICE__QUIET_START" in str(e.value) or "kiosk.voice" in str(e.value)
    assert "quiet_start and quiet_end go together" in str(e.value)


def test_bad_values_are_named(tmp_path):
    with pytest.raises(ConfigError) as e:
        load_settings(environ={"ZTC_DATA_DIR": str(tmp_path), "ZTC_KIOSK__RESIDENT_IDLE_S": "2",
                               "ZTC_KIOSK__VOICE__QUIET_END": "25:00", "ZTC_KIOSK__VOICE__QUIET_START": "12:00",
                               "ZTC_KIOSK__EXIT_KEY": "esc"})
    text = str(e.value)
    assert "kiosk.resident_idle_s" in text and "kiosk.voice.quiet_end" in text
    assert "kiosk.exit_key: unknown key" in text


def test_announcer_follows_settings(tmp_path):
    s = load_settings(environ={"ZTC_DATA_DIR": str(tmp_path), "ZTC_KIOSK__VOICE__QUIET_START": "00:00",
                               "ZTC_KIOSK__VOICE__QUIET_END": "23:59", "ZTC_KIOSK__VOICE__VOLUME": "0.5"})
    a = announcer_from_settings(s)
    assert a.volume == 0.5 and a.quiet_hours is not None
    a.out_dir, a.play = tmp_path / "out", False
    assert a.announce("A001", 1) is None            # quiet almost all day
