"""The shared sample GPS day, moved to the time of the run, for gpsfake.

Why move it: the agent dates stop visits with the system clock while positions carry the fix time;
with the sample day's fixes ending a minute before the run starts, both fall on the same day and
no fix is ever "in the future" however fast gpsfake replays. The first ``skip_s`` seconds parked at
the depot are left out, so the morning start there is too short to count as a visit: the day has
exactly three stop visits (Nanma, Lishan, the depot in the evening).
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from tests.gps import nmea
from tests.gps.harness import day_fixture, padded_log


def _retime(line: str, shift: dt.timedelta) -> str:
    body = line[1:line.index("*")]
    f = body.split(",")
    if f[0] == "GPRMC":
        t = dt.datetime.strptime(f[9] + f[1][:6], "%d%m%y%H%M%S") + shift
        f[1], f[9] = t.strftime("%H%M%S") + f[1][6:], t.strftime("%d%m%y")
    elif f[0] == "GPGGA":
        t = dt.datetime.strptime("010100" + f[1][:6], "%d%m%y%H%M%S") + shift
        f[1] = t.strftime("%H%M%S") + f[1][6:]
    return nmea.sentence(",".join(f))


def day_lines(skip_s: int = 45) -> list[str]:
    """The fixture's sentences (RMC, GGA, GSA per second) without the first ``skip_s`` seconds."""
    return nmea.fixture_lines(day_fixture())[3 * skip_s:]


def shifted_day(path: Path, end: float, skip_s: int = 45) -> tuple[Path, list[tuple[float, float]]]:
    """Write the day ending at Unix time ``end`` (no-fix padding first); returns the log and the
    route's (lat, lon) points, for checking the track headquarters draws."""
    lines = day_lines(skip_s)
    last = nmea.first_time(lines[-3:])
    shift = dt.datetime.fromtimestamp(end, dt.UTC).replace(tzinfo=None) - last
    moved = [_retime(line, shift) for line in lines]
    return padded_log(path, moved), route_points(lines)


def route_points(lines: list[str]) -> list[tuple[float, float]]:
    out = []
    for line in lines:
        if line.startswith("$GPRMC"):
            f = line.split(",")
            lat = int(f[3][:2]) + float(f[3][2:]) / 60
            lon = int(f[5][:3]) + float(f[5][3:]) / 60
            out.append((lat, lon))
    return out
