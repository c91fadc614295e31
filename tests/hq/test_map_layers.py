"""The map's Tianditu layers (issue 13 §5): place names (cva_w) drawn over the vector tiles (vec_w),
and the attribution carrying the map's approval number (审图号)."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.hq.cdp import Browser
from tests.hq.conftest import Hq, Server, artifacts
from tests.telemetry.conftest import Broker, Proc, free_port
from ztc.settings import HqMapSettings, HqSettings

APPROVAL = "GS(2024)0650号"


def test_the_default_configuration_draws_tianditu_labels_over_the_vector_tiles(
        hq_url: str, new_hq_url: Callable[[], str]) -> None:
    hq = Hq(hq_url, HqSettings(map=HqMapSettings(tile_key="k123", approval_number=APPROVAL)))
    cfg = hq.client().get("/api/v1/map-config").json()
    assert "/vec_w/wmts" in cfg["tile_url"] and "LAYER=vec" in cfg["tile_url"]
    assert "/cva_w/wmts" in cfg["label_url"] and "LAYER=cva" in cfg["label_url"] and "tk=k123" in cfg["label_url"]
    assert cfg["attribution"] == f"天地图 / Tianditu · 审图号 {APPROVAL}"
    hq.close()
    plain = Hq(new_hq_url(), HqSettings(map=HqMapSettings(tile_url="")))  # offline: no tiles, no labels
    cfg = plain.client().get("/api/v1/map-config").json()
    assert cfg["label_url"] == "" and cfg["attribution"] == "天地图 / Tianditu"
    plain.close()


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    b = Browser(tmp_path / "chromium")
    yield b
    b.close()


def test_the_public_map_stacks_the_label_layer_over_the_vector_layer(tmp_path: Path, broker: Broker,
                                                                      procs: list[Proc], browser: Browser,
                                                                      hq_url: str) -> None:
    # Tianditu's URL shapes on this machine (no internet here).
    base = "http://127.0.0.1:{port}/{layer}_w/wmts?LAYER={layer}&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={{key}}"
    port = free_port()  # nothing listens there: the tiles fail, the layers are what is checked
    extra = {"map": {"tile_url": base.format(port=port, layer="vec"), "subdomains": "",
                     "label_url": base.format(port=port, layer="cva"), "tile_key": "k123",
                     "approval_number": APPROVAL}}
    server = Server(tmp_path, broker.port, procs, hq_url, hq_extra=extra)
    browser.goto(f"{server.url}/public")
    browser.wait_for("window.ztcPublicReady === true", what="the public page")
    browser.wait_for("document.querySelectorAll('.leaflet-tile-pane .leaflet-layer').length === 2"
                     " && document.querySelectorAll('.leaflet-tile-pane img').length > 0", what="two tile layers")
    layers = browser.evaluate(
        "[...document.querySelectorAll('.leaflet-tile-pane .leaflet-layer')].map((l) => "
        "({z: Number(l.style.zIndex), src: (l.querySelector('img') || {}).src || ''}))")
    vec = next(x for x in layers if "/vec_w/" in x["src"])
    cva = next(x for x in layers if "/cva_w/" in x["src"])
    assert cva["z"] > vec["z"] and "tk=k123" in cva["src"]
    assert f"审图号 {APPROVAL}" in browser.evaluate("document.querySelector('.leaflet-control-attribution').innerText")
    browser.screenshot(artifacts() / "public-map-layers.png")
