"""What gpsd itself expects from a regression log: its ``.chk`` file, reduced to one row per fix time.

A ``.chk`` interleaves each NMEA sentence of the log with the JSON gpsd reports after it. Per fix
time (the time of day of the TPV, so a log re-dated for replay still matches) the expected fix is
the *best* report of that time — the highest mode, and of those the last, most complete one — because
gpsd reports a fix several times as its sentences arrive (GGA first with a speed gpsd computed
itself, RMC later with the receiver's own speed and course).

Satellites in use follow gpsd's own clients (cgps counts the ``used`` flags in the SKY's satellite
list, not ``uSat``), summed over the constellations reported in one epoch: each JSON line belongs to
the epoch of the latest sentence in the log that carries a time (GGA, RMC, GNS, GLL, ZDA), and each
constellation counts as its latest SKY list of that epoch says; an epoch without a SKY list keeps
the previous count, as a client showing the last sky view would; an epoch whose lists mark no
satellite used has an unknown count (a fix needs at least three).
"""
from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path

_TIME = re.compile(r"^\d{6}(\.\d+)?$")


@dataclass(frozen=True)
class Expected:
    tod: str                 # "HH:MM:SS.sss", UTC time of day
    mode: int
    speed: float | None      # m/s
    track: float | None      # degrees, None when gpsd reported none
    sats: int | None


def tod_of_ts(ts: float) -> str:
    """Epoch seconds → ``HH:MM:SS.sss`` (UTC, rounded to the millisecond)."""
    ms = round(ts * 1000) % 86_400_000
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"


def time_of_day(iso: str) -> str:
    """``2034-10-11T07:41:56.799Z`` → ``07:41:56.799``."""
    return tod_of_ts(dt.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp())


def _sentence_tod(line: str) -> str | None:
    fields = line.strip().lstrip("$").split("*")[0].split(",")
    kind = fields[0][2:] if len(fields[0]) == 5 else ""
    index = 5 if kind == "GLL" else 1 if kind in ("GGA", "RMC", "GNS", "ZDA") else None
    if index is None or len(fields) <= index or not _TIME.match(fields[index]):
        return None
    t = fields[index]
    frac = [*t.split("."), "0"][1]
    return f"{t[0:2]}:{t[2:4]}:{t[4:6]}.{frac[:3].ljust(3, '0')}"


def used_by_constellation(sky: dict) -> dict[int, int] | None:
    sats = sky.get("satellites")
    if not isinstance(sats, list):
        return None
    counts: dict[int, int] = {}
    for s in sats:
        gnss = s.get("gnssid", 0)
        counts[gnss] = counts.get(gnss, 0) + (1 if s.get("used") is True else 0)
    return counts


def expected_fixes(chk: Path) -> dict[str, Expected]:
    """Per time of day, the fix gpsd's expected output settles on (mode ≥ 2 only)."""
    best: dict[str, dict] = {}
    sky_by_epoch: dict[str, dict[int, int]] = {}
    epoch: str | None = None
    for raw in chk.read_text(errors="replace").splitlines():
        line = raw.strip()
        if line.startswith("$"):
            epoch = _sentence_tod(line) or epoch
            continue
        if not line.startswith("{"):
            continue
        report = json.loads(line)
        if report.get("class") == "SKY" and epoch is not None:
            counts = used_by_constellation(report)
            if counts is not None:
                sky_by_epoch.setdefault(epoch, {}).update(counts)
        elif report.get("class") == "TPV" and report.get("mode", 0) >= 2 and "time" in report:
            tod = time_of_day(report["time"])
            if tod not in best or report["mode"] >= best[tod]["mode"]:
                best[tod] = report
    out: dict[str, Expected] = {}
    last_sats: int | None = None
    for tod in sorted(set(best) | set(sky_by_epoch)):
        if tod in sky_by_epoch:
            # "none used" with a fix means unknown: a fix needs at least three satellites.
            last_sats = sum(sky_by_epoch[tod].values()) or None
        if tod in best:
            r = best[tod]
            out[tod] = Expected(tod, r["mode"], r.get("speed"), r.get("track"), last_sats)
    return out


def receiver_speeds(log: Path) -> dict[str, float]:
    """The receiver's own speed over ground (RMC, any talker; knots → m/s) per time of day."""
    out: dict[str, float] = {}
    for raw in log.read_text(errors="replace").splitlines():
        line = raw.strip()
        fields = line.lstrip("$").split("*")[0].split(",")
        if len(fields) > 7 and fields[0][2:] == "RMC" and fields[2] == "A" and fields[7]:
            tod = _sentence_tod(line)
            if tod:
                out[tod] = float(fields[7]) * 0.514444
    return out
