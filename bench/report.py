"""The benchmark table as Markdown for PERFORMANCE.md, with the machine it was measured on.

Why the machine: every figure sits beside a bare baseline from the same run, but a reader still
needs to know how many cores, which CPU and how busy the machine was to compare two reports.
"""
from __future__ import annotations

import os
import platform
import time
from pathlib import Path

from bench import Row


def machine() -> dict[str, str]:
    """nproc, CPU model, memory and load average, read from /proc where it exists."""
    cpu = platform.processor() or platform.machine()
    mem = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    load = " / ".join(f"{v:.2f}" for v in os.getloadavg())
    return {"date": time.strftime("%Y-%m-%d %H:%M %Z"), "nproc": str(os.cpu_count()), "cpu": cpu,
            "memory": mem, "load (1/5/15 min)": load, "python": platform.python_version(),
            "system": f"{platform.system()} {platform.release()}"}


def _num(v: float | None) -> str:
    return "-" if v is None else f"{v:.3f}"


def markdown(rows: list[Row], load_before: str) -> str:
    lines = ["| benchmark | value | baseline | ratio | target | met |", "|---|---:|---:|---:|---|---|"]
    for r in rows:
        met = "" if r.ok is None else ("yes" if r.ok else "**MISSED**")
        base = f"{_num(r.baseline)} ({r.baseline_name})" if r.baseline_name else _num(r.baseline)
        lines.append(f"| {r.name} | {r.value:.3f} {r.unit} | {base} | {_num(r.ratio)} | {r.target} | {met} |")
    m = machine()
    info = [f"- {k}: {v}" for k, v in m.items() if not k.startswith("load")]
    info.append(f"- load average (1/5/15 min): before the run {load_before}; after it {m['load (1/5/15 min)']}")
    return "\n".join(lines) + "\n\nMeasured on:\n" + "\n".join(info) + "\n"
