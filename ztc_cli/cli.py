"""The ``ztc`` command: one entry point, one small module per subcommand group.

Each module in COMMAND_MODULES has ``register(subparsers)`` adding its parsers with
``set_defaults(func=handler)``; a handler takes the parsed args and returns an exit code.
"""
from __future__ import annotations

import argparse
import importlib
import logging
import sys

COMMAND_MODULES = [
    "ztc_cli.commands.config_cmd",
    "ztc_cli.commands.queue_cmd",
    "ztc_cli.commands.housekeeping_cmd",
    "ztc_cli.commands.kiosk_cmd",
    "ztc_cli.commands.scan_cmd",
    "ztc_cli.commands.agent_cmd",
    "ztc_cli.commands.hq_cmd",
    "ztc_cli.commands.devices_cmd",
    "ztc_cli.commands.gps_cmd",
    "ztc_cli.commands.demo_cmd",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ztc",
        description="政务服务直通车 / ztc — the government-service bus: kiosk, devices, telemetry, headquarters",
    )
    parser.add_argument("--config", metavar="FILE",
                        help="configuration file over the shipped defaults (also ZTC_CONFIG)")
    parser.add_argument("--log-level", default="WARNING", help="DEBUG, INFO, WARNING (default) or ERROR")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=getattr(logging, str(args.log_level).upper(), logging.WARNING),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
