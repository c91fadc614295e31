"""Configuration: layers, precedence, and a clear error for each kind of mistake."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ztc.settings import ConfigError, load_settings, masked


def load(tmp_path: Path, yaml_text: str | None = None, **env: str):
    environ = {"ZTC_DATA_DIR": str(tmp_path), **env}
    cfg = None
    if yaml_text is not None:
        cfg = tmp_path / "site.yaml"
        cfg.write_text(yaml_text, encoding="utf-8")
    return load_settings(cfg, environ=environ)


def errors_of(tmp_path: Path, yaml_text: str | None = None, **env: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, yaml_text, **env)
    return info.value.errors


def test_shipped_defaults_are_valid_and_complete(tmp_path):
    s = load(tmp_path)
    assert s.bus.id == "yiyuan-01"
    assert [st.id for st in s.route.stops] == ["depot", "nanma-xincun", "lishan-park"]
    assert len(s.route.schedule) == 3
    # every service named in MISSION.md is in the catalog, with prefix, names and minutes
    names = " ".join(i.name_zh for c in s.services for i in c.items)
    for needed in ["个体工商户", "公司", "农民专业合作社", "食品经营许可", "公共场所卫生许可", "立项", "用地",
                   "规划", "环保", "人防", "医疗保险", "社会保险", "社会救助", "公积金", "水电气暖", "政策咨询",
                   "打印复印", "EMS"]:
        assert needed in names, needed
    for c in s.services:
        assert len(c.code) == 1 and c.name_zh and c.name_en and c.minutes > 0
    for key in ("id",):
        assert getattr(s.bus, key)
    assert s.mqtt.host and s.mqtt.port and s.gps.port and s.hq.port and s.hq.database_url
    assert s.devices.ticket_printer.kind == "sim" and s.devices.a4_printer.queue and s.devices.camera.source


def test_precedence_defaults_file_environment(tmp_path):
    assert load(tmp_path).mqtt.port == 1883
    assert load(tmp_path, "mqtt:\n  port: 2883\n").mqtt.port == 2883
    assert load(tmp_path, "mqtt:\n  port: 2883\n", ZTC_MQTT__PORT="18830").mqtt.port == 18830
    # deep merge: the file changes one key, the rest of the section stays
    s = load(tmp_path, "mqtt:\n  port: 2883\n")
    assert s.mqtt.host == "127.0.0.1"


def test_config_file_from_environment_variable(tmp_path):
    cfg = tmp_path / "other.yaml"
    cfg.write_text("bus:\n  id: yiyuan-07\n")
    s = load_settings(environ={"ZTC_DATA_DIR": str(tmp_path), "ZTC_CONFIG": str(cfg)})
    assert s.bus.id == "yiyuan-07"


def test_env_values_are_typed(tmp_path):
    s = load(tmp_path, ZTC_MQTT__TLS="true", ZTC_QUEUE__DAILY_CAPS="{C: 20}")
    assert s.mqtt.tls is True and s.queue.daily_caps == {"C": 20}


def test_changing_device_kind_replaces_its_section(tmp_path):
    s = load(tmp_path, "devices:\n  ticket_printer:\n    kind: serial\n    device: /dev/serial/by-id/usb-x\n")
    tp = s.devices.ticket_printer
    assert tp.kind == "serial" and tp.device.endswith("usb-x") and tp.baudrate == 9600


def test_wrong_type_names_file_key_and_problem(tmp_path):
    errs = errors_of(tmp_path, "mqtt:\n  port: eighty\n")
    assert len(errs) == 1
    assert "site.yaml" in errs[0] and "mqtt.port" in errs[0] and "integer" in errs[0] and "eighty" in errs[0]


def test_out_of_range_names_environment_variable(tmp_path):
    errs = errors_of(tmp_path, ZTC_MQTT__PORT="70000")
    assert errs == ["environment variable ZTC_MQTT__PORT: mqtt.port: "
                    "Input should be less than or equal to 65535 (got 70000)"]


def test_unknown_keys_are_errors_at_any_depth(tmp_path):
    errs = errors_of(tmp_path, "mqtt:\n  hots: x\ndevices:\n  camera:\n    sorce: 1\nfoo: 1\n")
    assert any("mqtt.hots" in e and "unknown key" in e for e in errs)
    assert any("devices.camera.sorce" in e for e in errs)
    assert any(e.endswith("foo: unknown key (not a ztc setting; check the spelling)") for e in errs)
    assert all("site.yaml" in e for e in errs)


def test_every_error_is_reported_not_just_the_first(tmp_path):
    errs = errors_of(tmp_path, "mqtt:\n  port: 0\ngps:\n  port: -1\nqueue:\n  priority_ratio: x\n")
    assert len(errs) == 3


def test_missing_required_key_for_a_device_kind(tmp_path):
    errs = errors_of(tmp_path, "devices:\n  ticket_printer:\n    kind: usb\n")
    assert any("devices.ticket_printer.vendor_id: required key is missing" in e for e in errs)
    assert any("devices.ticket_printer.product_id" in e for e in errs)


def test_bad_choice_and_bad_pattern(tmp_path):
    errs = errors_of(tmp_path,
                     "devices:\n  ticket_printer:\n    kind: sim\n    paper_width_mm: 70\nbus:\n  id: Bus 1\n")
    assert any("paper_width_mm" in e and "58 or 80" in e for e in errs)
    assert any("bus.id" in e for e in errs)


def test_not_yaml_names_line(tmp_path):
    errs = errors_of(tmp_path, "mqtt:\n  port: [1883\n")
    assert len(errs) == 1 and "site.yaml" in errs[0] and "line" in errs[0] and "not valid YAML" in errs[0]


def test_top_level_not_a_mapping(tmp_path):
    errs = errors_of(tmp_path, "- a\n- b\n")
    assert "top level must be a mapping" in errs[0]


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path / "nope.yaml", environ={})
    assert "nope.yaml: cannot read" in info.value.errors[0]


def test_cross_references(tmp_path):
    text = ("route:\n  stops:\n    - {id: a, name_zh: 甲, lat: 36.1, lon: 118.1}\n"
            "    - {id: a, name_zh: 乙, lat: 36.2, lon: 118.2}\n"
            "  schedule:\n    - {stop: b, arrive: '09:00', depart: '10:00', services: [A, Z]}\n")
    errs = errors_of(tmp_path, text)
    assert any("route.stops.1.id: stop id a is used twice" in e for e in errs)
    assert any("route.schedule.0.stop: unknown stop 'b'" in e for e in errs)
    assert any("route.schedule.0.services: unknown service 'Z'" in e for e in errs)
    assert all(e.startswith(str(tmp_path / "site.yaml")) for e in errs)


def test_schedule_times_must_be_ordered(tmp_path):
    text = ("route:\n  stops:\n    - {id: a, name_zh: 甲, lat: 36.1, lon: 118.1}\n"
            "  schedule:\n    - {stop: a, arrive: '11:00', depart: '10:00', services: [A]}\n")
    errs = errors_of(tmp_path, text)
    assert any("route.schedule.0" in e and "must be after" in e for e in errs)


def test_item_code_must_match_category(tmp_path):
    text = ("services:\n  - {code: A, name_zh: 甲, name_en: a, "
            "items: [{code: B01, name_zh: x, name_en: x, minutes: 5}]}\n")
    errs = errors_of(tmp_path, text)
    assert any("services.0" in e and "must start with its category letter A" in e for e in errs)


def test_unknown_time_zone(tmp_path):
    assert "unknown time zone 'Mars/Base'" in errors_of(tmp_path, ZTC_BUS__TIMEZONE="Mars/Base")[0]


def test_masked_hides_secrets(tmp_path):
    data = masked(load(tmp_path, ZTC_MQTT__PASSWORD="s3cret"))
    assert data["mqtt"]["password"] == "***"
    assert "s3cret" not in json.dumps(data)


def _ztc(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ztc_cli", *args], capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=60)


def test_config_check_command(tmp_path):
    ok = _ztc("config", "check", "--json", env={"ZTC_DATA_DIR": str(tmp_path), "ZTC_MQTT__PASSWORD": "pw"})
    assert ok.returncode == 0
    out = json.loads(ok.stdout)
    assert out["ok"] is True and out["config"]["mqtt"]["password"] == "***"
    bad = _ztc("config", "check", env={"ZTC_DATA_DIR": str(tmp_path), "ZTC_MQTT__PORT": "x", "ZTC_GPS__PORT": "0"})
    assert bad.returncode != 0
    assert "ZTC_MQTT__PORT" in bad.stderr and "ZTC_GPS__PORT" in bad.stderr and "2 configuration error" in bad.stderr
    text = _ztc("config", "check", env={"ZTC_DATA_DIR": str(tmp_path)})
    assert text.returncode == 0 and "yiyuan-01" in text.stdout


@pytest.mark.parametrize("command", [["config", "check"], ["agent"], ["hq"]])
def test_config_file_not_utf8_is_a_message_naming_the_file(tmp_path, command):
    """A site file saved in GBK (what a Chinese Windows editor writes by default): both the bus
    commands and headquarters load it through ztc.settings, and must name the file, not crash."""
    cfg = tmp_path / "site.yaml"
    cfg.write_bytes("bus:\n  id: yiyuan-01\n# 沂源县直通车\n".encode("gbk"))
    errs = errors_of_file(cfg, tmp_path)
    assert len(errs) == 1 and str(cfg) in errs[0] and "line 3" in errs[0] and "not UTF-8" in errs[0]
    done = _ztc("--config", str(cfg), *command, env={"ZTC_DATA_DIR": str(tmp_path)})
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert str(cfg) in done.stderr and "not UTF-8" in done.stderr and "UTF-8 编码" in done.stderr


def errors_of_file(cfg: Path, data_dir: Path) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_settings(cfg, environ={"ZTC_DATA_DIR": str(data_dir)})
    return info.value.errors


def test_config_file_nested_too_deeply_is_a_message(tmp_path):
    errs = errors_of(tmp_path, "mqtt: " + "[" * 5000 + "]" * 5000 + "\n")
    assert len(errs) == 1 and "site.yaml" in errs[0] and "nested too deeply" in errs[0]
