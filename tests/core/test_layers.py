"""The layers of ARCHITECTURE.md ("Layers") are checked, and the checks would catch a breach.

The real tree must pass import-linter and mypy as configured in pyproject.toml; and a deliberate
breach — a bus module importing headquarters, a wrongly typed contract module — written for the
length of one test into the real tree (removed after) must make each tool fail, so a contract that
silently checks nothing (a typo in a module name, a config the tool no longer reads) is found.
"""
from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _run(tool: str) -> subprocess.CompletedProcess[str]:
    args = [str(BIN / tool)] + (["--no-cache"] if tool == "lint-imports" else [])
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=240)


@contextmanager
def _probe(package: str, source: str) -> Iterator[Path]:
    """A module that exists only inside the with-block (unique name, never imported by anything)."""
    path = ROOT / package / f"_layers_probe_{uuid.uuid4().hex[:8]}.py"
    path.write_text(source, encoding="utf-8")
    try:
        yield path
    finally:
        path.unlink()


def _make_lint() -> subprocess.CompletedProcess[str]:
    return subprocess.run(["make", "--no-print-directory", "lint"], cwd=ROOT, capture_output=True, text=True,
                          timeout=240)


def test_the_real_tree_keeps_every_layer_contract() -> None:
    result = _run("lint-imports")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 kept, 0 broken" in result.stdout


def test_the_real_contract_package_type_checks() -> None:
    result = _run("mypy")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success" in result.stdout


def test_a_bus_module_importing_headquarters_breaks_the_lint() -> None:
    with _probe("telemetry", '"""Breach on purpose."""\nimport hq.api  # noqa: F401\n') as probe:
        result = _run("lint-imports")
    assert result.returncode != 0
    assert "the bus side never imports headquarters BROKEN" in result.stdout
    assert f"telemetry.{probe.stem} -> hq.api" in result.stdout


def test_the_contract_importing_the_core_breaks_the_lint() -> None:
    with _probe("contract", '"""Breach on purpose."""\nimport ztc.settings  # noqa: F401\n'):
        result = _run("lint-imports")
    assert result.returncode != 0
    assert "contract is the bottom: it imports none of ours BROKEN" in result.stdout


def test_a_wrongly_typed_contract_module_fails_mypy() -> None:
    with _probe("contract", '"""Wrong on purpose."""\n\n\ndef seq() -> int:\n    return "7"\n') as probe:
        result = _run("mypy")
    assert result.returncode != 0
    assert f"{probe.name}:5: error: Incompatible return value type" in result.stdout


@pytest.mark.parametrize("package", ["telemetry", "drivers/camera"])
def test_a_wrongly_typed_bus_module_fails_mypy(package: str) -> None:
    """telemetry/ and drivers/ are in mypy's files too (strict: an unannotated function is an error)."""
    with _probe(package, '"""Wrong on purpose."""\n\n\ndef late(ts):\n    return ts\n') as probe:
        result = _run("mypy")
    assert result.returncode != 0
    assert f"{probe.name}:4: error: Function is missing a type annotation" in result.stdout


def test_the_core_importing_the_wiring_or_a_side_breaks_the_lint() -> None:
    breach = '"""Breach on purpose."""\nimport kiosk  # noqa: F401\nimport ztc_cli.commands  # noqa: F401\n'
    with _probe("ztc/domain", breach) as probe:
        result = _run("lint-imports")
    assert result.returncode != 0
    assert "the core (ztc) imports neither side BROKEN" in result.stdout
    assert "the wiring (ztc_cli: the ztc command, the demo) is on top: nothing imports it BROKEN" in result.stdout
    assert f"ztc.domain.{probe.stem} -> ztc_cli.commands" in result.stdout


def test_a_side_importing_the_wiring_breaks_the_lint() -> None:
    with _probe("telemetry", '"""Breach on purpose."""\nimport ztc_cli.demo.plan  # noqa: F401\n') as probe:
        result = _run("lint-imports")
    assert result.returncode != 0
    assert "the wiring (ztc_cli: the ztc command, the demo) is on top: nothing imports it BROKEN" in result.stdout
    assert f"telemetry.{probe.stem} -> ztc_cli.demo.plan" in result.stdout


def test_make_lint_is_one_line_per_tool_on_success() -> None:
    result = _make_lint()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 5 kept, 0 broken." in result.stdout
    assert "╔" not in result.stdout and "KEPT" not in result.stdout  # no logo, no contract-by-contract list


def test_make_lint_fails_loudly_naming_the_broken_contract() -> None:
    with _probe("telemetry", '"""Breach on purpose."""\nimport hq.api  # noqa: F401\n') as probe:
        result = _make_lint()
    assert result.returncode != 0
    assert "the bus side never imports headquarters BROKEN" in result.stdout
    assert f"telemetry.{probe.stem} -> hq.api" in result.stdout
    assert "╔" not in result.stdout
