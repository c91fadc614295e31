"""The adaptive position rate: faster moving, slower parked, on distance, reduced while offline."""
from __future__ import annotations

import itertools

import pytest

from drivers.gps import Fix
from telemetry.position_policy import PositionPolicy, position_payload
from ztc.settings import TelemetrySettings

T0 = 1_779_066_000.0
LAT, LON = 36.1849, 118.1706
M_PER_DEG_LAT = 111_195.0


def parked(seconds: int, start: float = T0, lat: float = LAT) -> list[Fix]:
    return [Fix(start + n, lat, LON, 0.0, 0.0, 3) for n in range(seconds)]


def driving(seconds: int, speed: float = 11.0, start: float = T0, lat: float = LAT) -> list[Fix]:
    return [Fix(start + n, lat + speed * n / M_PER_DEG_LAT, LON, speed, 0.0, 3) for n in range(seconds)]


def run(policy: PositionPolicy, fixes: list[Fix], link_up: bool = True):
    decisions = [(f, policy.decide(f, link_up)) for f in fixes]
    return [(f, d) for f, d in decisions if (d.publish if link_up else d.record)]


@pytest.fixture
def cfg() -> TelemetrySettings:
    # Fixed rates (not the shipped defaults, which are tuned for the 1 MB/day budget): 15 s / 100 m
    # moving, 120 s parked, ≥ 3 s apart — the figures these tests reason with.
    return TelemetrySettings(moving_interval_s=15, min_distance_m=100)


def test_parked_bus_sends_a_heartbeat_at_the_parked_interval(cfg):
    sent = run(PositionPolicy(cfg), parked(600))
    assert [f.ts - T0 for f, _ in sent] == [0, 120, 240, 360, 480]
    assert [d.reason for _, d in sent] == ["first"] + ["interval"] * 4


def test_moving_bus_sends_on_distance_and_never_faster_than_the_minimum(cfg):
    sent = run(PositionPolicy(cfg), driving(300, speed=11.0))
    gaps = [b.ts - a.ts for (a, _), (b, _) in itertools.pairwise(sent)]
    assert set(gaps) == {10.0}, "100 m at 11 m/s: every 10th fix"
    assert {d.reason for _, d in sent[1:]} == {"distance"}
    fast = run(PositionPolicy(cfg), driving(60, speed=60.0))
    assert min(b.ts - a.ts for (a, _), (b, _) in itertools.pairwise(fast)) >= cfg.min_interval_s


def test_slow_moving_bus_sends_at_the_moving_interval(cfg):
    sent = run(PositionPolicy(cfg), driving(120, speed=2.0))   # 2 m/s: 100 m takes 50 s
    assert [f.ts - T0 for f, _ in sent] == [0, 15, 30, 45, 60, 75, 90, 105]


def test_starting_and_stopping_are_sent_at_once(cfg):
    policy = PositionPolicy(cfg)
    fixes = parked(30) + driving(30, start=T0 + 30) + parked(30, start=T0 + 60, lat=LAT + 330 / M_PER_DEG_LAT)
    sent = run(policy, fixes)
    reasons = {f.ts - T0: d.reason for f, d in sent}
    assert reasons[0] == "first" and reasons[30] == "moving" and reasons[60] == "stopped"


def test_fewer_messages_moving_than_fixes_and_far_fewer_parked(cfg):
    day = driving(3600) + parked(3600, start=T0 + 3600, lat=LAT + 11 * 3600 / M_PER_DEG_LAT)
    sent = run(PositionPolicy(cfg), day)
    moving = [f for f, _ in sent if f.ts < T0 + 3600]
    still = [f for f, _ in sent if f.ts >= T0 + 3600]
    assert 300 <= len(moving) <= 400 and len(still) <= 32


def test_link_down_records_at_the_reduced_rate_and_publishes_nothing(cfg):
    policy = PositionPolicy(cfg)
    run(policy, parked(10))
    offline = driving(600, start=T0 + 10)
    decisions = [policy.decide(f, link_up=False) for f in offline]
    assert not any(d.publish for d in decisions)
    recorded = [f for f, d in zip(offline, decisions, strict=True) if d.record]
    gaps = [b.ts - a.ts for a, b in itertools.pairwise(recorded)]
    assert recorded[0].ts == T0 + 10, "the first fix of the outage is kept"
    assert set(gaps) == {46.0}, "500 m at 11 m/s, before the 60 s interval"
    live = run(PositionPolicy(cfg), driving(600, start=T0 + 10))
    assert len(recorded) < len(live) / 4


def test_first_fix_after_the_link_returns_is_sent_at_once(cfg):
    policy = PositionPolicy(cfg)
    run(policy, parked(5))
    run(policy, parked(20, start=T0 + 5), link_up=False)
    back = policy.decide(Fix(T0 + 25, LAT, LON, 0.0, 0.0, 3), link_up=True)
    assert back.publish and back.reason == "first"


def test_rates_come_from_the_configuration():
    quick = TelemetrySettings(parked_interval_s=30, moving_interval_s=5, min_distance_m=1000, min_interval_s=1)
    assert len(run(PositionPolicy(quick), parked(300))) == 10
    assert len(run(PositionPolicy(quick), driving(100, speed=5.0))) == 20


def test_missing_speed_is_derived_from_movement(cfg):
    policy = PositionPolicy(cfg)
    a = Fix(T0, LAT, LON, None, None, 2)
    b = Fix(T0 + 1, LAT + 11 / M_PER_DEG_LAT, LON, None, None, 2)
    policy.decide(a, True)
    assert policy.speed_of(b) == pytest.approx(11.0, rel=0.01)
    assert policy.decide(b, True).moving


def test_payload_matches_the_protocol():
    p = position_payload(Fix(T0, LAT, LON, 11.0, 57.5, 3, 212.0, 17.1, 9), "nanma-xincun")
    assert p == {"ts": T0, "lat": LAT, "lon": LON, "speed": 11.0, "track": 57.5, "mode": 3, "alt": 212.0,
                 "eph": 17.1, "sats": 9, "stop": "nanma-xincun"}
    bare = position_payload(Fix(T0, LAT, LON, None, None, 2), None)
    assert set(bare) == {"ts", "lat", "lon", "speed", "track", "mode", "stop"} and bare["stop"] is None
