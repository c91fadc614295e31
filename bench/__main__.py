"""Run every benchmark and print one table: figure, bare baseline, ratio, target."""
from __future__ import annotations

import argparse
import importlib
import json
import os
import pkgutil
import sys
from pathlib import Path

from bench import Row
from bench.report import markdown


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (smoke run)")
    parser.add_argument("--only", help="run only bench_<ONLY>.py")
    parser.add_argument("--json", action="store_true", help="print rows as JSON")
    parser.add_argument("--markdown", type=Path, metavar="FILE",
                        help="also write the table and the machine it ran on as Markdown (for PERFORMANCE.md)")
    args = parser.parse_args(argv)
    load_before = " / ".join(f"{v:.2f}" for v in os.getloadavg())
    here = Path(__file__).parent
    rows: list[Row] = []
    for mod in sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_")):
        if args.only and mod != f"bench_{args.only}":
            continue
        print(f"running {mod} …", file=sys.stderr)
        rows += importlib.import_module(f"bench.{mod}").run(quick=args.quick)
    if args.markdown:
        args.markdown.write_text(markdown(rows, load_before), encoding="utf-8")
        print(f"wrote {args.markdown}", file=sys.stderr)
    if args.json:
        print(json.dumps([r.__dict__ | {"ratio": r.ratio} for r in rows], ensure_ascii=False, indent=1))
        return 0
    header = f"{'benchmark':<58} {'value':>12} {'baseline':>12} {'ratio':>7}  target"
    print(header)
    print("-" * len(header))
    for r in rows:
        base = f"{r.baseline:.3f}" if r.baseline is not None else "-"
        ratio = f"{r.ratio:.2f}" if r.ratio is not None else "-"
        verdict = "" if r.ok is None else ("  ok" if r.ok else "  MISSED")
        print(f"{r.name:<58} {r.value:>9.3f} {r.unit:<2} {base:>12} {ratio:>7}  {r.target}{verdict}")
        if r.baseline_name:
            print(f"{'':<4}baseline: {r.baseline_name}")
    return 0 if all(r.ok is not False for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
