"""``ztc config check``: print the effective configuration, or every error in it."""
from __future__ import annotations

import argparse
import json
import sys

import yaml

from ztc.settings import ConfigError, load_settings, masked
from ztc_cli.commands import add_json_flag


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("config", help="check and show the configuration")
    csub = p.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    check = csub.add_parser("check", help="validate all layers; print the effective configuration (secrets masked)")
    add_json_flag(check)
    check.set_defaults(func=check_cmd)


def check_cmd(args: argparse.Namespace) -> int:
    try:
        settings = load_settings(args.config)
    except ConfigError as e:
        if args.json:
            print(json.dumps({"ok": False, "errors": e.errors}, ensure_ascii=False))
        else:
            print(f"配置有 {len(e.errors)} 处错误 / {len(e.errors)} configuration error(s):", file=sys.stderr)
            for line in e.errors:
                print(f"  - {line}", file=sys.stderr)
        return 2
    data = masked(settings)
    if args.json:
        print(json.dumps({"ok": True, "config": data}, ensure_ascii=False))
    else:
        print(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), end="")
        print("# 配置有效 / configuration OK", file=sys.stderr)
    return 0
