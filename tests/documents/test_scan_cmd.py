"""``ztc scan`` on the fixture photos, run as the real ``ztc`` command in its own process."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pikepdf
from pikepdf import PdfImage

from ztc_cli import cli

REPO = Path(__file__).resolve().parents[2]


def ztc(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ztc_cli", *args], capture_output=True, text=True, cwd=REPO,
                          timeout=120)


def test_scan_is_a_registered_subcommand():
    assert "ztc_cli.commands.scan_cmd" in cli.COMMAND_MODULES


def test_scan_files_to_a_bw_pdf(tmp_path, documents_dir):
    out = tmp_path / "forms.pdf"
    images = [str(documents_dir / f"form-{n}.jpg") for n in (1, 2, 3)]
    proc = ztc("scan", *images, "--output", str(out), "--mode", "bw", "--json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["pages"] == 3 and result["found"] == [True, True, True] and result["notes"] == []
    with pikepdf.open(out) as pdf:
        assert len(pdf.pages) == 3
        image = next(iter(pdf.pages[1].get_images().values()))
        assert set(np.unique(np.array(PdfImage(image).as_pil_image().convert("L"))).tolist()) == {0, 255}


def test_scan_refuses_a_file_that_is_not_an_image(tmp_path, documents_dir):
    bogus = tmp_path / "scan.jpg"
    bogus.write_bytes(b"not a jpeg at all")
    out = tmp_path / "out.pdf"
    proc = ztc("scan", str(documents_dir / "form-1.jpg"), str(bogus), "-o", str(out))
    assert proc.returncode == 2
    assert "scan.jpg" in proc.stderr and "not a readable image" in proc.stderr
    assert not out.exists(), "no half-made PDF"


def test_scan_id_card_needs_front_and_back(tmp_path, documents_dir):
    proc = ztc("scan", "--id-card", str(documents_dir / "form-1.jpg"), "-o", str(tmp_path / "id.pdf"))
    assert proc.returncode == 2 and "front, back" in proc.stderr
    proc = ztc("scan", "--id-card", str(documents_dir / "form-1.jpg"), str(documents_dir / "form-2.jpg"),
               "-o", str(tmp_path / "id.pdf"), "--json")
    assert proc.returncode == 0 and json.loads(proc.stdout)["pages"] == 1


def test_scans_purge_deletes_only_what_the_retention_rule_allows(tmp_path):
    import os
    import time

    from ztc.db import open_database
    from ztc.documents.storage import ScanStore

    db = open_database(tmp_path / "bus.db")
    old = ScanStore(db, tmp_path, 1, clock=lambda: time.time() - 3 * 86400).save(b"%PDF-1.4 old", 1, "bw")
    new = ScanStore(db, tmp_path, 1).save(b"%PDF-1.4 new", 1, "bw")
    db.close()
    env = {**os.environ, "ZTC_DATA_DIR": str(tmp_path), "ZTC_DEVICES__CAMERA__SCAN_RETENTION_DAYS": "1"}
    proc = subprocess.run([sys.executable, "-m", "ztc_cli", "scans", "purge", "--json"], capture_output=True,
                          text=True, cwd=REPO, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"ok": True, "deleted": 1}
    assert not Path(old["path"]).exists() and Path(new["path"]).exists()
