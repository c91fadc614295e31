"""Re-date an NMEA log: move every RMC and ZDA date, of every talker, by the same number of days.

Why: gpsd 3.22 treats a receiver date before 2017 as a GPS week-rollover victim and moves it forward
by 1,024 weeks (a 2015 log comes out dated 2034, which ztc rightly refuses as "in the future"), and
ztc does not trust a receiver date before its own floor date either. Old regression logs of real
receivers therefore need today's dates to replay as a live day. Times of day, positions and every
other byte stay as they were; the checksum of each rewritten sentence is recomputed.

Any talker (``GP``, ``GN``, ``BD``, ``GB``, ``GL``, ``GA``, ``GI``, ``QZ`` …) is rewritten; a sentence
preceded by stray blanks (some receivers emit them) keeps them. Lines that are not RMC/ZDA pass
through untouched.

    python -m tests.gps.redate LOG --to 2026-05-17 [-o OUT]   # first date becomes 2026-05-17
"""
from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from collections.abc import Iterable
from pathlib import Path

_SENTENCE = re.compile(r"^(?P<lead>\s*)\$(?P<body>(?P<talker>[A-Z]{2})(?P<kind>RMC|ZDA),[^*]*)(?:\*[0-9A-Fa-f]{2})?"
                       r"(?P<tail>\s*)$")


def checksum(body: str) -> str:
    """NMEA checksum: XOR of every character between ``$`` and ``*``."""
    c = 0
    for ch in body:
        c ^= ord(ch)
    return f"{c:02X}"


def _two_digit_year(yy: int) -> int:
    return 1900 + yy if yy >= 80 else 2000 + yy


def sentence_date(line: str) -> dt.date | None:
    """The date an RMC (``ddmmyy``) or ZDA (``dd,mm,yyyy``) sentence carries, else None."""
    m = _SENTENCE.match(line)
    if not m:
        return None
    fields = m.group("body").split(",")
    try:
        if m.group("kind") == "RMC":
            d = fields[9]
            return dt.date(_two_digit_year(int(d[4:6])), int(d[2:4]), int(d[0:2])) if len(d) == 6 else None
        return dt.date(int(fields[4]), int(fields[3]), int(fields[2]))
    except (IndexError, ValueError):
        return None


def _shifted(line: str, days: int) -> str:
    m = _SENTENCE.match(line)
    when = sentence_date(line)
    if not m or when is None:
        return line
    new = when + dt.timedelta(days=days)
    fields = m.group("body").split(",")
    if m.group("kind") == "RMC":
        fields[9] = new.strftime("%d%m") + f"{new.year % 100:02d}"
    else:
        fields[2], fields[3], fields[4] = f"{new.day:02d}", f"{new.month:02d}", f"{new.year:04d}"
    body = ",".join(fields)
    return f"{m.group('lead')}${body}*{checksum(body)}{m.group('tail')}"


def first_date(lines: Iterable[str]) -> dt.date:
    for line in lines:
        when = sentence_date(line)
        if when is not None:
            return when
    raise ValueError("no dated RMC or ZDA sentence in the log")


def redate_lines(lines: list[str], to: dt.date) -> list[str]:
    """``lines`` with every RMC/ZDA date moved so that the first one becomes ``to``."""
    days = (to - first_date(lines)).days
    return [_shifted(line, days) for line in lines]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tests.gps.redate", description=__doc__.split("\n\n")[0])
    p.add_argument("log", type=Path)
    p.add_argument("--to", required=True, type=dt.date.fromisoformat, help="new date of the first dated sentence")
    p.add_argument("-o", "--output", type=Path, help="write here (default: standard output)")
    args = p.parse_args(argv)
    lines = args.log.read_text(errors="replace").splitlines()
    out = "\r\n".join(redate_lines(lines, args.to)) + "\r\n"
    if args.output:
        args.output.write_text(out)
    else:
        sys.stdout.write(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
