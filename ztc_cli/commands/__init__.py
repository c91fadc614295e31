"""Subcommands of ``ztc``; shared helpers for loading settings and printing results."""
from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ztc.settings import ConfigError, Settings, load_settings


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="machine-readable output (JSON)")


def settings_from(args: argparse.Namespace) -> Settings:
    """Load settings for a command; on error print every problem and exit 2."""
    try:
        return load_settings(getattr(args, "config", None))
    except ConfigError as e:
        print("配置错误 / configuration errors:", file=sys.stderr)
        for line in e.errors:
            print(f"  - {line}", file=sys.stderr)
        raise SystemExit(2) from None


def _jsonable(value: Any) -> Any:
    """The JSON form of a read model (``to_dict()``, e.g. a ``Ticket``); anything else as text."""
    to_dict = getattr(value, "to_dict", None)
    return to_dict() if callable(to_dict) else str(value)


def emit(args: argparse.Namespace, data: Any, text: str | None = None) -> None:
    """Print ``data`` as JSON with --json, else ``text`` (or a readable JSON dump)."""
    if getattr(args, "json", False) or text is None:
        print(json.dumps(data, ensure_ascii=False, indent=None if getattr(args, "json", False) else 2,
                         default=_jsonable))
    else:
        print(text)


def fail(args: argparse.Namespace, code: str, message: str, exit_code: int = 1) -> int:
    """Report an error the same way in both output modes."""
    if getattr(args, "json", False):
        print(json.dumps({"ok": False, "error": code, "message": message}, ensure_ascii=False))
    else:
        print(message, file=sys.stderr)
    return exit_code
