"""NMEA helpers for the GPS tests: checksums, no-fix padding, and a fixture copy gpsfake can replay."""
from __future__ import annotations

import datetime as dt
from pathlib import Path


def checksum(body: str) -> str:
    c = 0
    for ch in body:
        c ^= ord(ch)
    return f"{c:02X}"


def sentence(body: str) -> str:
    return f"${body}*{checksum(body)}"


def no_fix_lines(end: dt.datetime, seconds: int) -> list[str]:
    """``seconds`` of a receiver that is on but has no fix yet (RMC void, GGA quality 0, GSA mode 1),
    ending just before ``end``: what a real receiver sends after power-on."""
    out = []
    for n in range(seconds, 0, -1):
        t = end - dt.timedelta(seconds=n)
        hms, dmy = t.strftime("%H%M%S") + ".00", t.strftime("%d%m%y")
        out += [sentence(f"GPRMC,{hms},V,,,,,,,{dmy},,,N"),
                sentence(f"GPGGA,{hms},,,,,0,00,99.9,,M,,M,,"),
                sentence("GPGSA,A,1,,,,,,,,,,,,,99.9,99.9,99.9")]
    return out


def lost_fix_lines(seconds: int) -> list[str]:
    """``seconds`` of a receiver that lost its fix and its time (empty RMC/GGA, GSA mode 1)."""
    return [sentence(body) for _ in range(seconds)
            for body in ("GPRMC,,V,,,,,,,,,,N", "GPGGA,,,,,,0,,,,,,,,", "GPGSA,A,1,,,,,,,,,,,,,,,")]


def fixture_lines(path: Path) -> list[str]:
    return [line for line in path.read_text().splitlines() if line.startswith("$")]


def first_time(lines: list[str]) -> dt.datetime:
    """UTC time of the first dated RMC sentence, of any talker (GP, GN, BD, GB, …)."""
    for line in lines:
        f = line.strip().split(",")
        if len(f) > 9 and len(f[0]) == 6 and f[0].endswith("RMC") and len(f[9]) == 6 and len(f[1]) >= 6:
            return dt.datetime.strptime(f[9] + f[1][:6], "%d%m%y%H%M%S")
    raise ValueError("no dated RMC sentence")


def write_log(path: Path, lines: list[str]) -> Path:
    path.write_text("\r\n".join(lines) + "\r\n")
    return path


def _dm(value: float, is_lat: bool) -> str:
    d = int(abs(value))
    m = (abs(value) - d) * 60
    return f"{d:02d}{m:07.4f}" if is_lat else f"{d:03d}{m:07.4f}"


def fix_lines(t: dt.datetime, lat: float, lon: float, speed_ms: float = 0.0, track: float = 0.0) -> list[str]:
    """One 1 Hz cycle (RMC, GGA, GSA) of a 3D fix, like the shared fixture's generator writes."""
    hms, dmy = t.strftime("%H%M%S") + ".00", t.strftime("%d%m%y")
    ns, ew = ("N" if lat >= 0 else "S"), ("E" if lon >= 0 else "W")
    pos = f"{_dm(lat, True)},{ns},{_dm(lon, False)},{ew}"
    return [sentence(f"GPRMC,{hms},A,{pos},{speed_ms / 0.514444:.1f},{track:.1f},{dmy},,,A"),
            sentence(f"GPGGA,{hms},{pos},1,09,0.9,212.0,M,0.0,M,,"),
            sentence("GPGSA,A,3,02,05,07,09,13,15,20,24,30,,,,1.6,0.9,1.3")]
