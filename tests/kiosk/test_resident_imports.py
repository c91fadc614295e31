"""The resident kiosk must not load what it never uses: OpenCV/numpy (crew's camera) and the HQ web
stack cost ~50 MB resident on the take-a-number machine, the ticket printer's drawing stack
(python-escpos, Pillow's drawing, qrcode, python-barcode) and the USB/serial libraries ~5 MB more
(issue: resident RSS at rest). Lazy, not gone: the first ticket still prints."""
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
    drawing = {"escpos", "qrcode", "barcode", "usb", "serial"}   # the printer registry does not draw
    assert not loaded & drawing, f"resident role loads {sorted(loaded & drawing)}"


# Drawn in the render process (raster) or imported on first use; the resident at rest only polls.
PRINTER_STACK = ("escpos", "qrcode", "barcode", "usb", "serial", "PIL.ImageDraw")

PRINTER_SCRIPT = """
import json, sys
from kiosk.kivy_setup import configure
configure(fullscreen=False)
import kiosk.app
import kiosk.roles.resident
from kiosk.printing import DriverPrinter
from ztc.db import open_database
from ztc.domain.engine import QueueEngine
from ztc.settings import load_settings
settings = load_settings()
printer = DriverPrinter(settings)             # what the resident role builds: worker + render process, warmed
assert printer.printer.renderer.wait_ready(90), "render process not warm"
printer.printer.refresh_status(timeout=10)    # the idle status poll the resident makes all day
at_rest = sorted(m for m in sys.modules)
engine = QueueEngine(open_database(settings.db_path), settings)
if engine.current_visit() is None:
    engine.arrive_adhoc("测试点")
printer(engine.issue("F"), False)             # raises PrintFailed when the ticket was not printed
print(json.dumps({"at_rest": at_rest, "state": printer.status()["state"],
                  "processed": printer.printer.renderer.processed}))
printer.close()
"""


def test_resident_printer_at_rest_leaves_drawing_stack_unloaded_and_still_prints(tmp_path: Path) -> None:
    from drivers.ticket_printer.virtual import VirtualPrinter

    with VirtualPrinter(tmp_path / "paper", save_png=False) as sim:
        port = sim.start_tcp("127.0.0.1", 0)
        env = {**os.environ, "KIVY_NO_ARGS": "1", "KIVY_HOME": str(tmp_path / "kivy"), "KIVY_NO_CONSOLELOG": "1",
               "ZTC_DATA_DIR": str(tmp_path / "data"), "ZTC_DEVICES__TICKET_PRINTER__KIND": "sim",
               "ZTC_DEVICES__TICKET_PRINTER__PORT": str(port), "ZTC_DEVICES__TICKET_PRINTER__TEXT_MODE": "raster"}
        out = subprocess.run([sys.executable, "-c", PRINTER_SCRIPT], cwd=REPO, env=env, capture_output=True,
                             text=True, timeout=180)
        assert out.returncode == 0, out.stderr[-2000:]
        result = json.loads(out.stdout.strip().splitlines()[-1])
        [ticket] = sim.wait_for_tickets(1)
    loaded = set(result["at_rest"])
    assert "drivers.ticket_printer.worker" in loaded and "multiprocessing" in loaded  # the printer really is up
    unwanted = sorted(m for m in loaded if m in PRINTER_STACK or m.split(".")[0] in PRINTER_STACK)
    assert not unwanted, f"resident printer at rest loads {unwanted}"
    assert result["processed"] == 1 and result["state"] == "ok"   # drawn by the render process, printed
    assert ticket.raster() is not None


def test_crew_camera_still_loads_opencv_on_use() -> None:
    """Lazy, not gone: the crew's camera gets its classes on first use."""
    out = subprocess.run([sys.executable, "-c", "import sys, drivers.camera as c; c.Camera; c.SimReader; "
                          "print('cv2' in sys.modules)"], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "True"
