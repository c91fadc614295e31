"""Faults around a real gpsd: killed and restarted, not there yet, silent, and bad fixes from the
receiver — the GPS source keeps going by itself and refuses what is implausible, saying why."""
from __future__ import annotations

import datetime as dt
import json
import logging
import socket
import threading
import time

from drivers.gps import GpsdSource
from tests.support import free_port

from . import nmea
from .harness import Collector, day_fixture

T0 = dt.datetime(2026, 5, 18, 1, 0, 0)


def _wait(predicate, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_gpsd_killed_and_restarted_midstream_client_reconnects(gpsfake_factory):
    lines = nmea.fixture_lines(day_fixture())
    first = gpsfake_factory(lines[: 3 * 300], cycle="0.004", name="before.nmea")
    source = GpsdSource("127.0.0.1", first.port, timeout_s=5, reconnect_max_s=0.5)
    collector = Collector(source).start()
    try:
        assert collector.wait_for(lambda fixes: len(fixes) >= 20), first.output()
        first.kill_gpsd()
        assert _wait(lambda: not source.connected), "the source noticed gpsd died"
        down = source.get_status()
        assert down["state"] == "error" and "gpsd" in down["detail"]
        before = len(collector.fixes)
        last_before = collector.fixes[-1].ts

        # gpsd comes back on the same port, the receiver now further along the route.
        gpsfake_factory(lines[3 * 400: 3 * 500], port=first.port, name="after.nmea")
        resume_ts = nmea.first_time(lines[3 * 400:]).replace(tzinfo=dt.UTC).timestamp()
        assert collector.wait_for(lambda fixes: fixes[-1].ts >= resume_ts + 50), "fixes flow again"
        status = source.get_status()
    finally:
        collector.stop()
    assert not collector.errors, collector.errors
    after = collector.fixes[before:]
    assert after and after[0].ts > last_before
    assert status["reconnects"] >= 1 and status["connected"] is True
    assert status["rejected"].get("jump", 0) == 0, "the bus moved on plausibly while gpsd was down"


def test_gpsd_not_running_yet_is_retried_until_it_starts(gpsfake_factory):
    port = free_port()
    source = GpsdSource("127.0.0.1", port, timeout_s=2, reconnect_max_s=0.3)
    collector = Collector(source).start()
    try:
        assert _wait(lambda: source.reconnects >= 3), "keeps trying without gpsd"
        status = source.get_status()
        assert status["state"] == "error" and status["connected"] is False
        assert "gpsd" in status["detail"] and " / " in status["detail"], "bilingual reason"
        lines = nmea.fixture_lines(day_fixture())[: 3 * 40]
        gpsfake_factory(lines, port=port)
        assert collector.wait_for(lambda fixes: len(fixes) >= 30)
    finally:
        collector.stop()
    assert not collector.errors


def test_silent_gpsd_times_out_and_reconnects(gpsfake_factory):
    """A receiver that stops talking (unplugged, or no data at all) ends the read by timeout."""
    lines = nmea.fixture_lines(day_fixture())[: 3 * 10]
    run = gpsfake_factory(lines)
    source = GpsdSource("127.0.0.1", run.port, timeout_s=1, reconnect_max_s=0.3)
    collector = Collector(source).start()
    try:
        assert collector.wait_for(lambda fixes: len(fixes) >= 5)
        assert _wait(lambda: source.reconnects >= 2, timeout=20), "silence leads to reconnecting"
        assert "1 s" in source.last_error or source.connected
        assert _wait(lambda: source.get_status()["state"] in ("degraded", "ok", "offline"), timeout=10)
    finally:
        collector.stop()
    assert not collector.errors


def test_implausible_fixes_from_the_receiver_are_refused_with_reasons(gpsfake_factory, caplog):
    here = (36.1849, 118.1706)
    lines = []
    for n in range(10):
        lines += nmea.fix_lines(T0 + dt.timedelta(seconds=n), *here)
    lines += nmea.fix_lines(T0 + dt.timedelta(seconds=10), 0.0, 0.0)                  # (0, 0)
    lines += nmea.fix_lines(T0 + dt.timedelta(seconds=11), 36.6849, 118.1706)         # 55 km in 1 s
    future = dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(days=2)
    lines += nmea.fix_lines(future, *here)                                              # dated ahead
    lines += ["$GPRMC,garbage*00", "\x00\xff binary junk", "$GPGGA,010013.00,99999,N,,,1,09*11"]
    for n in range(13, 20):
        lines += nmea.fix_lines(T0 + dt.timedelta(seconds=n), *here)
    run = gpsfake_factory(lines, cycle="0.005")
    source = GpsdSource("127.0.0.1", run.port, timeout_s=10, reconnect_max_s=0.5)
    end = (T0 + dt.timedelta(seconds=19)).replace(tzinfo=dt.UTC).timestamp()
    caplog.set_level(logging.WARNING, logger="drivers.gps")
    collector = Collector(source).start()
    try:
        assert collector.wait_for(lambda fixes: bool(fixes) and fixes[-1].ts >= end), run.output()
    finally:
        collector.stop()
    accepted = collector.fixes
    assert len(accepted) == 17
    assert all(abs(f.lat - here[0]) < 1e-4 and abs(f.lon - here[1]) < 1e-4 for f in accepted)
    rejected = source.get_status()["rejected"]
    assert rejected["null_island"] == 1 and rejected["jump"] == 1 and rejected["future"] == 1
    assert rejected["no_fix"] >= 100
    logged = caplog.text
    for text in ("position is (0, 0)", "impossible speed", "dated in the future", "no fix",
                 "坐标为 (0, 0)", "位置跳变"):
        assert text in logged, f"reason {text!r} not logged"


class _BrokenGpsd:
    """A stand-in for a gpsd that sends broken JSON: real gpsd cannot be made to, but a proxy, a
    different daemon on the port or a half-written line after a crash can."""

    def __init__(self, lines: list[str]):
        self.lines = lines
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        conn, _ = self.server.accept()
        with conn:
            conn.recv(1024)  # ?WATCH
            conn.sendall("".join(line + "\n" for line in self.lines).encode())
            time.sleep(5)

    def close(self) -> None:
        self.server.close()


def test_unparseable_lines_are_logged_and_skipped(caplog):
    def tpv(n: int, **over) -> str:
        report = {"class": "TPV", "mode": 3, "time": f"2026-05-18T01:00:{n:02d}.000Z",
                  "lat": 36.1849, "lon": 118.1706, "speed": 0.0} | over
        return json.dumps(report)

    lines = ['{"class":"VERSION","release":"3.22","proto_major":3,"proto_minor":14}',
             tpv(0), "this is not json", "[1, 2, 3]", tpv(1, time="yesterday"), tpv(2, lat="north"),
             tpv(3, lat=91.5), tpv(4, mode="3"), '{"class":"TPV","mode":3', tpv(5), tpv(6)]
    fake = _BrokenGpsd(lines)
    source = GpsdSource("127.0.0.1", fake.port, timeout_s=3, reconnect_max_s=0.5)
    caplog.set_level(logging.WARNING, logger="drivers.gps")
    collector = Collector(source).start()
    try:
        assert collector.wait_for(lambda fixes: len(fixes) >= 3, timeout=20)
    finally:
        collector.stop()
        fake.close()
    assert [int(f.ts) % 60 for f in collector.fixes] == [0, 5, 6]
    assert source.bad_reports == 7
    for text in ("unparseable line", "time is not ISO-8601", "lat is not a number", "coordinates out of range",
                 "mode is not 0..3"):
        assert text in caplog.text
