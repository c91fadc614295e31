"""The re-dating tool for replayed logs: every talker's RMC and ZDA dates move, checksums follow,
everything else stays byte for byte."""
from __future__ import annotations

import datetime as dt
import subprocess
import sys

from .harness import REPO
from .redate import checksum, redate_lines, sentence_date


def s(body: str, lead: str = "") -> str:
    return f"{lead}${body}*{checksum(body)}"


LOG = [
    "# a comment stays",
    s("GNRMC,235959.00,A,3114.8770,N,12135.2463,E,0.30,4.94,310315,,,A"),
    s("GPGGA,235959.00,3114.8770,N,12135.2463,E,1,05,1.3,156.9,M,8.3,M,,0000"),
    s("BDRMC,000000.00,A,3114.8770,N,12135.2463,E,0.30,4.94,010415,,,A", lead=" "),   # next day, stray blank
    s("GBZDA,000000.00,01,04,2015,,"),
    s("GLRMC,000001.00,V,,,,,,,010415,,,N"),
    s("GARMC,,V,,,,,,,,,,N"),   # no date: untouched
]


def test_every_talker_moves_by_the_same_days_and_checksums_are_recomputed():
    out = redate_lines(LOG, dt.date(2026, 5, 17))
    assert [sentence_date(line) for line in out] == [None, dt.date(2026, 5, 17), None, dt.date(2026, 5, 18),
                                                     dt.date(2026, 5, 18), dt.date(2026, 5, 18), None]
    assert out[0] == LOG[0] and out[2] == LOG[2] and out[6] == LOG[6]
    assert out[3].startswith(" $BDRMC,") and out[4] == s("GBZDA,000000.00,18,05,2026,,")
    for line in out[1:]:
        body, cs = line.strip()[1:].split("*")
        assert checksum(body) == cs
    assert out[1].split(",")[:9] == LOG[1].split(",")[:9], "time, position, speed, course unchanged"


def test_command_line_writes_the_redated_log(tmp_path):
    src, dst = tmp_path / "in.log", tmp_path / "out.log"
    src.write_text("\n".join(LOG) + "\n")
    subprocess.run([sys.executable, "-m", "tests.gps.redate", str(src), "--to", "2026-05-17", "-o", str(dst)],
                   cwd=REPO, check=True, timeout=30)
    assert dst.read_text().splitlines() == redate_lines(LOG, dt.date(2026, 5, 17))
