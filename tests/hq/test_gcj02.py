"""The page's WGS-84 → GCJ-02 shift (hq/static/gcj02.js), run in node: the offset of the published
formula inside China, none outside; and the map settings the page reads."""
from __future__ import annotations

import json
import math
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.hq.conftest import REPO, Hq

JS = REPO / "hq" / "static" / "gcj02.js"


def shift(points: list[tuple[float, float]]) -> list[list[float]]:
    node = shutil.which("node")
    assert node, "node is needed (it installs Leaflet at set-up)"
    code = (f"const g = require({json.dumps(str(JS))}); "
            f"console.log(JSON.stringify({json.dumps(points)}.map(p => g.wgs2gcj(p[0], p[1]))));")
    return json.loads(subprocess.run([node, "-e", code], capture_output=True, text=True, check=True, timeout=30).stdout)


def metres(a: tuple[float, float], b: list[float]) -> float:
    dy = (b[0] - a[0]) * 111_320
    dx = (b[1] - a[1]) * 111_320 * math.cos(math.radians(a[0]))
    return math.hypot(dx, dy)


def test_shift_inside_china_and_none_outside() -> None:
    yiyuan, beijing, tokyo, london = (36.19, 118.17), (39.908692, 116.397477), (35.68, 139.76), (51.5, -0.12)
    out = shift([yiyuan, beijing, tokyo, london])
    # Reference: Tiananmen WGS-84 (39.908692, 116.397477) is GCJ-02 (39.910095, 116.403719) in the
    # published algorithm's test vectors (eviltransform / coordtransform).
    assert out[1] == pytest.approx([39.910095, 116.403719], abs=2e-6)
    assert 100 < metres(yiyuan, out[0]) < 800  # the familiar few-hundred-metre offset
    assert out[2] == list(tokyo) and out[3] == list(london)


def test_map_config_fills_the_tile_key_and_names_the_coordinate_system(hq_url: str) -> None:
    from ztc.settings import HqMapSettings, HqSettings
    hq = Hq(hq_url, HqSettings(map=HqMapSettings(tile_key="abc123", crs="gcj02")))
    cfg = hq.client().get("/api/v1/map-config").json()
    assert "tk=abc123" in cfg["tile_url"] and "{key}" not in cfg["tile_url"] and "tianditu" in cfg["tile_url"]
    assert cfg["crs"] == "gcj02" and cfg["offline_after_s"] == 300
    hq.close()


def test_without_leaflet_the_pages_say_how_to_install_it(tmp_path: Path, hq_url: str, new_hq_url: Callable[[], str],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import hq.pages
    monkeypatch.setattr(hq.pages, "LEAFLET", tmp_path / "missing")
    hq_app = Hq(hq_url)
    r = hq_app.client().get("/vendor/leaflet/leaflet.js")
    assert r.status_code == 503 and "make setup" in r.text
    hq_app.close()
    monkeypatch.undo()
    served = Hq(new_hq_url())
    assert served.client().get("/vendor/leaflet/leaflet.js").status_code == 200  # from make setup
    served.close()
