"""The resident kiosk must not load what it never uses: OpenCV/numpy (crew's camera) and the HQ web
stack cost ~50 MB resident on the take-a-number machine (issue: resident RSS at rest)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HEAVY = ("cv2", "numpy", "fastapi", "uvicorn", "starlette", "hq")

SCRIPT = """
import json, sys
from kiosk.kivy_setup import configure
configure(fullscreen=False)
import kiosk.app
import kiosk.roles.resident
import drivers.registry
from drivers.camera.probe import camera_presence
from ztc.settings import load_settings
camera_presence(load_settings().devices.camera)   # every role probes devices at start
print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))
"""


def test_resident_module_graph_leaves_camera_and_hq_stack_unloaded(tmp_path: Path) -> None:
    env = {**os.environ, "KIVY_NO_ARGS": "1", "KIVY_HOME": str(tmp_path / "kivy"), "KIVY_NO_CONSOLELOG": "1",
           "ZTC_DATA_DIR": str(tmp_path / "data")}
    out = subprocess.run([sys.executable, "-c", SCRIPT], cwd=REPO, env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    loaded = set(json.loads(out.stdout.strip().splitlines()[-1]))
    assert "kivy" in loaded and "kiosk" in loaded       # the graph really was imported
    assert not loaded & set(HEAVY), f"resident role loads {sorted(loaded & set(HEAVY))}"


def test_crew_camera_still_loads_opencv_on_use() -> None:
    """Lazy, not gone: the crew's camera gets its classes on first use."""
    out = subprocess.run([sys.executable, "-c", "import sys, drivers.camera as c; c.Camera; c.SimReader; "
                          "print('cv2' in sys.modules)"], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "True"
