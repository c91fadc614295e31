"""Real receivers as gpsd 3.22 really reports them: regression logs of the gpsd project (origin and
licence in ``logs/README.md``), re-dated to yesterday, replayed by gpsfake into a real gpsd and read
by GpsdSource; every accepted fix is compared with gpsd's own expected output for the log (its
``.chk``) and the moving/parked decision with the receiver's own speed (its RMC sentences).

The logs: a SiRF-TriG with BeiDou under the ``BD`` talker and one under ``GB`` (both send GGA and GNS
before RMC, so gpsd first reports each fix with a speed it computed and no heading); a Quectel
EC25 LTE modem's GNSS (the EG25's sibling: GGA before RMC, and gpsd repeats each fix 2-3 times); a
Quectel LC79D with GPS, GLONASS and Galileo under ``GN``; a SiRF-III with GLONASS.
"""
from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from contract import protocol
from drivers.gps import Fix, FixFilter, GpsdSource
from telemetry.position_policy import PositionPolicy, position_payload
from tests.support import free_port
from ztc.settings import load_settings

from . import nmea
from .gpsd_chk import Expected, expected_fixes, receiver_speeds, tod_of_ts
from .harness import Collector, GpsFake, padded_log
from .redate import redate_lines

LOGS = Path(__file__).parent / "logs"
NAMES = ("beidou-bd", "beidou-gb", "quectel", "quectelLC79D-1", "bu353-glonass")
CYCLE = "0.005"


def log_lines(name: str) -> list[str]:
    return (LOGS / f"{name}.log").read_text(errors="replace").splitlines()


def last_fix_is(tod: str):
    return lambda fixes: bool(fixes) and tod_of_ts(fixes[-1].ts) >= tod


def yesterday() -> dt.date:
    return (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).date()


@dataclass
class Replay:
    fixes: list[Fix]
    status: dict
    run: GpsFake


class Running:
    """One gpsfake + gpsd replaying ``lines`` once, and a GpsdSource reading everything it reports."""

    def __init__(self, lines: list[str], path: Path, trailing_s: int = 3, **source_args):
        self.run = GpsFake(padded_log(path, lines, trailing_s), free_port(), CYCLE).start()
        self.source = GpsdSource("127.0.0.1", self.run.port, timeout_s=10, reconnect_max_s=5, **source_args)
        self.collector = Collector(self.source).start()

    def finish(self, done) -> Replay:
        """Wait until ``done(fixes)`` (the log's last fix arrived), then stop reading."""
        finished = self.collector.wait_for(done, timeout=60)
        status = self.source.get_status()
        self.collector.stop()
        self.run.stop()
        assert not self.collector.errors, self.collector.errors
        assert finished, f"the replay did not finish: {len(self.collector.fixes)} fixes\n{self.run.output()}"
        return Replay(list(self.collector.fixes), status, self.run)


EG25 = "quectel-eg25-g"   # from gpsd's repository after 3.22: no .chk for this gpsd (logs/README.md)


@pytest.fixture(scope="module")
def replays(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Replay]:
    tmp = tmp_path_factory.mktemp("receivers")
    names = (*NAMES, EG25)
    running = {name: Running(redate_lines(log_lines(name), yesterday()), tmp / f"{name}.nmea") for name in names}
    last = {name: max(expected_fixes(LOGS / f"{name}.log.chk")) for name in NAMES}
    last[EG25] = max(receiver_speeds(LOGS / f"{EG25}.log"))
    return {name: r.finish(last_fix_is(last[name])) for name, r in running.items()}


@pytest.fixture(scope="module")
def expected() -> dict[str, dict[str, Expected]]:
    return {name: expected_fixes(LOGS / f"{name}.log.chk") for name in NAMES}


@pytest.mark.parametrize("name", NAMES)
def test_every_fix_gpsd_expects_arrives_once_in_order(replays, expected, name):
    fixes = replays[name].fixes
    tods = [tod_of_ts(f.ts) for f in fixes]
    assert tods == sorted(set(tods)), f"one fix per fix time, in order: {tods}"
    want = set(expected[name])
    first = min(want)
    # gpsd may report a receiver's very first epoch without a time (the date was not known yet at its
    # first sentence) or without a fix (mode still from the no-fix start-up before it), depending on
    # what the receiver sent before; either is counted, not a fix. Every later epoch must be there.
    want.discard(first)
    tods = [t for t in tods if t != first]
    assert set(tods) == want, replays[name].run.output()
    assert all(f.ts < time.time() for f in fixes) and all(tod_of_ts(f.ts) in expected[name] for f in fixes)


@pytest.mark.parametrize("name", NAMES)
def test_speed_heading_and_mode_are_what_gpsd_settles_on(replays, expected, name):
    for fix in replays[name].fixes:
        want = expected[name][tod_of_ts(fix.ts)]
        assert fix.mode == want.mode, (fix, want)
        assert fix.speed == pytest.approx(want.speed, abs=1e-3), (fix, want)
        if want.track is None:
            assert fix.track is None, (fix, want)
        else:
            assert fix.track == pytest.approx(want.track, abs=1e-3), (fix, want)


@pytest.mark.parametrize("name", NAMES)
def test_satellites_in_use_are_summed_over_the_constellations_of_the_fix(replays, expected, name):
    got = [(tod_of_ts(f.ts), f.sats) for f in replays[name].fixes]
    want = [(tod, expected[name][tod].sats) for tod, _ in got]
    assert got == want


def test_satellites_of_a_multi_constellation_fix_count_every_system():
    """LC79D at 08:04:00 (GPS, GLONASS and Galileo under GN): gpsd's sky view marks 8 GPS satellites in
    use, 3 of them twice (once per signal, L1 and L5), and 4 GLONASS: 15, which is what cgps shows. (The
    receiver's GGA says 14: gpsd 3.22 does not mark its 2 Galileo satellites as used.)"""
    want = expected_fixes(LOGS / "quectelLC79D-1.log.chk")["08:04:00.000"]
    assert want.sats == 15


@pytest.mark.parametrize("name", NAMES)
def test_moving_or_parked_follows_the_receivers_own_speed(replays, name):
    settings = load_settings(environ={})
    policy = PositionPolicy(settings.telemetry)
    own = receiver_speeds(LOGS / f"{name}.log")
    threshold = settings.telemetry.moving_speed_ms
    for fix in replays[name].fixes:
        decision = policy.decide(fix, link_up=True)
        assert decision.moving == (own[tod_of_ts(fix.ts)] >= threshold), (fix, own[tod_of_ts(fix.ts)])


def test_beidou_fix_carries_the_receivers_speed_not_gpsds_estimate(replays):
    """gpsd's first report of 07:41:56.799 says 33.4 m/s (computed from the jump from the previous
    position) and no heading; the RMC that follows says 0.26 knots at 4.94°."""
    fix = next(f for f in replays["beidou-bd"].fixes if tod_of_ts(f.ts) == "07:41:56.799")
    assert fix.speed == pytest.approx(0.134, abs=1e-3) and fix.track == pytest.approx(4.94)
    assert fix.sats == 5


def test_unknown_heading_goes_on_the_wire_as_null_and_validates():
    fix = Fix(ts=time.time(), lat=36.18, lon=118.17, speed=0.0, track=None, mode=3, sats=7)
    payload = position_payload(fix, None)
    assert payload["track"] is None and "track" in payload
    assert protocol.validate(protocol.Position, payload).track is None
    moving = position_payload(Fix(time.time(), 36.18, 118.17, 4.2, 0.0, 3), "depot")
    assert moving["track"] == 0.0, "due north is a heading, not 'unknown'"


def test_recovery_from_a_glitch_counts_distinct_fix_times(tmp_path):
    """A bad anchor 111 km away, then the EC25's real stream, where gpsd reports every fix 2-3 times:
    after 5 agreeing fix times the source starts again from the real position."""
    lines = log_lines("quectel")
    start = next(i for i, line in enumerate(lines) if line.startswith("$GPGGA,022047.00"))
    real = redate_lines(lines[start:], yesterday())
    first = nmea.first_time(real)
    glitch = nmea.fix_lines(first - dt.timedelta(seconds=2), -35.7460, 174.7345)
    flt = FixFilter(max_speed_ms=200 / 3.6, reanchor_after=5)
    replay = Running(glitch + real, tmp_path / "glitch.nmea", fix_filter=flt).finish(last_fix_is("02:21:02.000"))
    tods = [tod_of_ts(f.ts) for f in replay.fixes]
    real_tods = sorted(expected_fixes(LOGS / "quectel.log.chk"))
    real_tods = [t for t in real_tods if t >= "02:20:47"]
    assert replay.fixes and abs(replay.fixes[0].lat + 35.746) < 1e-3, "the glitch was the first fix"
    assert tods[1:] == real_tods[4:], f"re-anchored on the 5th distinct fix time: {tods}"
    assert replay.status["rejected"].get("jump") == 4, replay.status


def test_a_receiver_date_before_the_floor_is_replaced_by_the_system_time(tmp_path, caplog):
    """The EC25 log as recorded (October 2020, before ztc's floor date): positions still go out, dated
    by the system clock, and the crew is told — once, with a count — that the receiver's date is wrong."""
    caplog.set_level(logging.WARNING)
    started = time.time()
    accepted = len(expected_fixes(LOGS / "quectel.log.chk")) - 1   # the first may come without a time
    replay = Running(log_lines("quectel"), tmp_path / "old.nmea").finish(lambda fixes: len(fixes) >= accepted)
    assert len(replay.fixes) >= accepted
    assert all(started - 5 <= f.ts <= time.time() + 1 for f in replay.fixes), [f.ts for f in replay.fixes[:3]]
    assert replay.status["untrusted_time"] == len(replay.fixes), replay.status
    assert replay.status["clock_drift_s"] is None, "a wrong receiver date says nothing about the system clock"
    assert replay.status["state"] == "degraded" and "receiver date not trusted" in replay.status["detail"]
    warnings = [r for r in caplog.records if "receiver date" in r.getMessage()]
    assert len(warnings) == 1 and "接收器日期" in warnings[0].getMessage()


def test_the_last_fix_before_the_receiver_goes_away_is_handed_on(tmp_path):
    """No report after the last fix (the log just ends, gpsd drops the device): the held fix must
    still come out — when gpsd says the receiver is gone — not wait for a next epoch forever."""
    lines = redate_lines(log_lines("beidou-bd"), yesterday())
    replay = Running(lines, tmp_path / "end.nmea", trailing_s=0).finish(last_fix_is("07:41:59.799"))
    assert tod_of_ts(replay.fixes[-1].ts) == "07:41:59.799" and replay.fixes[-1].track == pytest.approx(4.94)


def test_quectel_eg25_satellites_unknown_under_gpsd_322_not_zero(tmp_path):
    """The EG25-G modem (PinePhone) lists its satellites GLONASS first and BeiDou as ``$PQGSV``;
    gpsd 3.22 then sends one SKY per constellation, marks none of them used and none for GPS, though
    the fix uses 9-10 (GNGSA). A later gpsd's expected output for this log (``quectel-eg25-g-2.log.chk``
    in the gpsd project) says: mode 3, speed 0.0, course 0.0 for every fix, 5 satellites marked used.
    ztc must give the receiver's speed and course, and "unknown" satellites rather than 0."""
    lines = redate_lines(log_lines("quectel-eg25-g-2"), yesterday())
    replay = Running(lines, tmp_path / "eg25.nmea").finish(last_fix_is("05:13:49.000"))
    tods = [tod_of_ts(f.ts) for f in replay.fixes]
    assert tods[-2:] == ["05:13:48.000", "05:13:49.000"] and set(tods) <= {"05:13:47.000", "05:13:48.000",
                                                                          "05:13:49.000"}
    for fix in replay.fixes:
        assert (fix.mode, fix.speed, fix.track, fix.sats) == (3, 0.0, 0.0, None), fix
        assert "sats" not in position_payload(fix, None)


def _eg25_epochs() -> dict[str, dict]:
    """Per fix time of the EG25 log: the receiver's own speed (m/s) and course from its RMC, and the
    GLONASS satellites its GNGSA (system 2) lists as used."""
    out: dict[str, dict] = {}
    tod = None
    for line in log_lines(EG25):
        f = line.split("*")[0].split(",")
        if f[0] == "$GPRMC" and f[2] == "A":
            tod = f"{f[1][0:2]}:{f[1][2:4]}:{f[1][4:6]}.{f[1][7:9]}0"
            out[tod] = {"speed": round(float(f[7]) * 0.514444, 3), "track": float(f[8])}
        elif f[0] == "$GNGSA" and f[-1] == "2" and tod in out:
            out[tod]["glonass"] = sum(1 for prn in f[3:15] if prn)
    return out


def test_quectel_eg25_as_the_issue_saw_it(replays):
    """The EG25-G modem, moving slowly (0.3-5.5 knots), through gpsd 3.22: gpsd first reports each fix
    with a speed it computed from the position jitter (up to 16 m/s) and no heading, then the RMC's.
    Its sky view lists GLONASS first, then Galileo (none used), and never marks the GPS satellites —
    so "satellites in use" is what gpsd knows: the GLONASS ones (4-5), not the Galileo list's 0."""
    own = _eg25_epochs()
    fixes = replays[EG25].fixes
    assert [tod_of_ts(f.ts) for f in fixes][-13:] == sorted(own)[-13:]
    assert len(fixes) >= len(own) - 1
    threshold = load_settings(environ={}).telemetry.moving_speed_ms
    policy = PositionPolicy(load_settings(environ={}).telemetry)
    moving = 0
    for fix in fixes:
        want = own[tod_of_ts(fix.ts)]
        assert (fix.mode, fix.speed, fix.track) == (3, pytest.approx(want["speed"], abs=1e-3), want["track"]), fix
        assert fix.sats == want["glonass"], (fix, want)
        decision = policy.decide(fix, link_up=True)
        assert decision.moving == (want["speed"] >= threshold)
        moving += decision.moving
    assert moving == 2, "only 4.1 and 5.5 knots are above the moving threshold"
