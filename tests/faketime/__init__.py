"""libfaketime for one test's processes: the environment that makes a process (and every process it
starts) believe it is a chosen instant, the clock flowing on from there. The same settings as
``scripts/at-instant`` (which runs whole suites that way; see there for why each one is needed)."""
from __future__ import annotations

import os
import re
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
# ld.so expands $LIB to the multiarch library folder, so this names Debian's libfaketime on any architecture.
LIBFAKETIME = "/usr/$LIB/faketime/libfaketime.so.1"


def outer_offset() -> float:
    """Seconds this process's clock is shifted by libfaketime (scripts/at-instant: its offset file; 0 outside)."""
    if "faketime" not in os.environ.get("LD_PRELOAD", ""):
        return 0.0
    spec = os.environ.get("FAKETIME")
    if spec is None and os.environ.get("FAKETIME_TIMESTAMP_FILE"):
        spec = Path(os.environ["FAKETIME_TIMESTAMP_FILE"]).read_text().strip()
    m = re.fullmatch(r"([+-]?\d+(?:\.\d+)?)", (spec or "").strip())
    return float(m.group(1)) if m else 0.0


def real_now() -> float:
    """The machine's clock, even inside a run that scripts/at-instant already shifted (offsets stack on real time)."""
    return time.time() - outer_offset()


def at_instant_env(instant: float) -> dict[str, str]:
    """Environment for a process that starts believing it is ``instant`` (seconds since the epoch)."""
    offset = round(instant - real_now())
    preload = [p for p in os.environ.get("LD_PRELOAD", "").split(":") if p and "faketime" not in p]
    path = [p for p in os.environ.get("PYTHONPATH", "").split(":") if p and p != str(HERE)]
    # FAKETIME wins over a surrounding run's offset file (libfaketime's README: the variable has priority).
    return {"LD_PRELOAD": ":".join([LIBFAKETIME, *preload]), "FAKETIME": f"{offset:+d}",
            "FAKETIME_DONT_FAKE_MONOTONIC": "1", "FAKETIME_FORCE_MONOTONIC_FIX": "0",
            "PYTHONPATH": ":".join([str(HERE), *path])}
