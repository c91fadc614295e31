"""Fix parsing and plausibility filters, fix by fix, with the reasons that are logged."""
from __future__ import annotations

import logging
import math

import pytest

from drivers.gps import BadReport, Fix, FixFilter, fix_from_tpv
from drivers.gps.epoch import EpochAssembler, used_by_constellation
from drivers.gps.ratelimit import WarnLimiter

NOW = 1_779_066_000.0
HERE = (36.1849, 118.1706)


def fix(ts: float = NOW, lat: float = HERE[0], lon: float = HERE[1], mode: int = 3, speed: float = 0.0) -> Fix:
    return Fix(ts, lat, lon, speed, 0.0, mode)


@pytest.fixture
def flt() -> FixFilter:
    return FixFilter(max_speed_ms=200 / 3.6, future_tolerance_s=60, clock=lambda: NOW + 5)


def test_good_fixes_pass(flt):
    assert flt.check(fix()).accepted
    assert flt.check(fix(NOW + 1, HERE[0] + 0.0001)).accepted   # 11 m in 1 s
    assert flt.accepted == 2 and not flt.counts


@pytest.mark.parametrize(("bad", "reason"), [
    (fix(mode=1), "no_fix"),
    (fix(mode=0, lat=math.nan, lon=math.nan, ts=math.nan), "no_fix"),
    (fix(lat=0.0, lon=0.0), "null_island"),
    (fix(lat=math.nan), "not_finite"),
    (fix(ts=NOW + 5 + 61), "future"),
])
def test_each_kind_of_bad_fix_is_refused_with_its_reason(flt, caplog, bad, reason):
    caplog.set_level(logging.WARNING)
    verdict = flt.check(bad)
    assert not verdict.accepted and verdict.reason == reason
    assert flt.counts[reason] == 1
    assert "GPS fix rejected" in caplog.text and " / " in caplog.text


def test_a_fix_within_the_future_tolerance_passes(flt):
    assert flt.check(fix(ts=NOW + 5 + 59)).accepted


def test_duplicates_and_time_going_backwards_are_refused(flt):
    assert flt.check(fix())
    assert flt.check(fix()).reason == "duplicate"
    assert flt.check(fix(NOW - 10)).reason == "duplicate"


def test_impossible_jump_refused_then_good_fixes_continue():
    flt = FixFilter(max_speed_ms=200 / 3.6, clock=lambda: NOW + 4000)
    assert flt.check(fix())
    jump = flt.check(fix(NOW + 1, HERE[0] + 0.5))      # 55 km in a second
    assert jump.reason == "jump" and "km/h" in jump.detail
    assert flt.check(fix(NOW + 2, HERE[0] + 0.0002)).accepted
    # A real long gap (gpsd down for an hour while driving) is plausible, not a jump.
    assert flt.check(fix(NOW + 3602, HERE[0] + 0.3)).accepted


def test_consistent_streak_of_jumps_reanchors(flt, caplog):
    """If the first fix was the glitch, the bus must not be stuck there forever."""
    assert flt.check(fix(lat=HERE[0] + 1.0))             # a wrong first position, 111 km away
    verdicts = [flt.check(fix(NOW + n, HERE[0] + n * 0.00005)) for n in range(1, 7)]
    assert [v.accepted for v in verdicts] == [False, False, False, False, True, True]
    assert "re-anchored" in caplog.text
    assert flt.last is not None and abs(flt.last.lat - HERE[0]) < 0.001


def test_a_long_no_fix_streak_is_logged_once(flt, caplog):
    caplog.set_level(logging.DEBUG)
    for n in range(50):
        flt.check(fix(NOW + n, mode=1))
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and flt.counts["no_fix"] == 50


def tpv(**over):
    return {"class": "TPV", "mode": 3, "time": "2026-05-18T01:00:00.000Z", "lat": 36.1849, "lon": 118.1706,
            "altMSL": 212.0, "speed": 11.0, "track": 57.5, "eph": 17.1} | over


def test_tpv_parses_into_a_fix():
    f = fix_from_tpv(tpv(), sats=9)
    assert f == Fix(NOW, 36.1849, 118.1706, 11.0, 57.5, 3, 212.0, 17.1, 9)


def test_no_fix_report_without_time_is_a_no_fix_not_garbage():
    f = fix_from_tpv({"class": "TPV", "mode": 1})
    assert f.mode == 1 and math.isnan(f.ts)


@pytest.mark.parametrize(("report", "problem"), [
    (tpv(time="yesterday"), "time is not ISO-8601"),
    (tpv(time=12), "time is not a string"),
    ({k: v for k, v in tpv().items() if k != "time"}, "missing time"),
    (tpv(lat="36"), "lat is not a number"),
    (tpv(lon=None), "missing lon"),
    (tpv(lat=True), "lat is not a number"),
    (tpv(lat=95.0), "coordinates out of range"),
    (tpv(mode=7), "mode is not 0..3"),
    (tpv(**{"class": "SKY"}), "not a TPV report"),
])
def test_malformed_reports_name_the_problem(report, problem):
    with pytest.raises(BadReport, match=problem):
        fix_from_tpv(report)


def test_optional_fields_that_are_broken_become_unknown():
    f = fix_from_tpv(tpv(speed=float("nan"), eph=None, altMSL=None, alt=300.5))
    assert f.speed is None and f.eph is None and f.alt == 300.5


def test_satellites_in_use_per_constellation_from_sky():
    sky = {"class": "SKY", "uSat": 9, "satellites": [{"gnssid": 0, "used": True}, {"gnssid": 0, "used": False},
                                                     {"gnssid": 3, "used": True}, {"gnssid": 3, "used": True}]}
    assert used_by_constellation(sky) == {0: 1, 3: 2}, "the used flags count, as cgps counts them, not uSat"
    assert used_by_constellation({"class": "SKY", "hdop": 1.3, "uSat": 5}) is None


def test_reports_of_one_fix_time_become_one_fix_with_the_receivers_speed_and_heading():
    """As gpsd 3.22 reports a receiver that sends GGA before RMC: first gpsd's own speed estimate and
    no heading, then the receiver's; the fix is handed on once, when the next epoch begins."""
    epochs = EpochAssembler()
    assert epochs.tpv(Fix(NOW, *HERE, 33.4, None, 3, 190.7, 64.9)) == []
    assert epochs.tpv(Fix(NOW, *HERE, 0.134, 4.94, 3)) == []
    epochs.sky({"class": "SKY", "satellites": [{"gnssid": 0, "used": True}] * 4})
    epochs.sky({"class": "SKY", "satellites": [{"gnssid": 3, "used": True}] * 3})   # per constellation
    epochs.tpv(Fix(NOW, *HERE, None, None, 1))   # the receiver losing the *next* epoch: not a downgrade
    [done] = epochs.tpv(Fix(NOW + 1, *HERE, 5.0, None, 3))
    assert (done.speed, done.track, done.mode, done.alt, done.eph, done.sats) == (0.134, 4.94, 3, 190.7, 64.9, 7)
    # A later report without heading does not replace the receiver's speed; the epoch without a SKY
    # list keeps the last count.
    epochs.tpv(Fix(NOW + 1, *HERE, 0.2, 90.0, 3))
    epochs.tpv(Fix(NOW + 1, *HERE, 9.9, None, 3))
    [second] = epochs.flush()
    assert (second.speed, second.track, second.sats) == (0.2, 90.0, 7)
    assert epochs.flush() == []


def test_a_sky_view_with_no_satellite_used_means_unknown_not_zero():
    """A fix needs at least three satellites; gpsd 3.22 marks none used for some receivers (EG25)."""
    epochs = EpochAssembler()
    epochs.tpv(Fix(NOW, *HERE, 0.0, 0.0, 3))
    epochs.sky({"class": "SKY", "satellites": [{"gnssid": 6, "used": False}] * 8})
    epochs.sky({"class": "SKY", "satellites": [{"gnssid": 2, "used": False}] * 3})
    [done] = epochs.flush()
    assert done.sats is None


def test_a_no_fix_report_passes_at_once_and_ends_the_held_epoch():
    epochs = EpochAssembler()
    epochs.tpv(Fix(NOW, *HERE, 1.0, 10.0, 3))
    out = epochs.tpv(Fix(math.nan, math.nan, math.nan, None, None, 1))
    assert [f.mode for f in out] == [3, 1]


def test_reanchoring_counts_distinct_fix_times_not_reports(flt):
    """gpsd repeats each fix 2-6 times; the repeats must neither count twice nor break the streak."""
    assert flt.check(fix(lat=HERE[0] + 1.0))
    verdicts = [flt.check(fix(NOW + n, HERE[0] + n * 0.00005)) for n in range(1, 6) for _ in range(3)]
    assert [v.accepted for v in verdicts[::3]] == [False, False, False, False, True]
    assert flt.counts["jump"] == 12


def test_warnings_are_rate_limited_and_say_how_many_were_left_out(caplog):
    caplog.set_level(logging.WARNING)
    now = [0.0]
    limiter = WarnLimiter(logging.getLogger("t"), every_s=60, clock=lambda: now[0])
    logged = [limiter.warn("no_time", "GPS position without a time") for _ in range(4)]
    now[0] = 61.0
    assert limiter.warn("no_time", "GPS position without a time")
    assert logged == [True, False, False, False]
    assert [r.getMessage() for r in caplog.records][-1].endswith("3 more since the last warning)")


def test_time_less_positions_are_counted_and_warned_about_once_a_minute(caplog):
    """gpsd sends a position without time while waiting for the receiver's date: 4 in a second is one
    warning, not four (through the real parsing path of the GPS source)."""
    from drivers.gps import GpsdSource

    caplog.set_level(logging.WARNING)
    source = GpsdSource(clock=lambda: NOW)
    for _ in range(4):
        assert source._parse({"class": "TPV", "mode": 3, "lat": 36.18, "lon": 118.17}) is None
    assert source.no_time == 4 and source.get_status()["no_time"] == 4
    assert len([r for r in caplog.records if "without a time" in r.getMessage()]) == 1
