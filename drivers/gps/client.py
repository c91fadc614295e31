"""The GPS source: gpsd's ``?WATCH`` JSON stream (via gpsdclient) inside a reconnect loop.

gpsd restarting, a receiver being unplugged, or an hour without a fix are normal on a bus, so none
of them ends the stream: a read timeout or a dropped connection leads to a new connection after a
backoff (0.5 s doubling to ``reconnect_max_s``), reset as soon as gpsd talks again. Broken lines are
logged and skipped. Everything the crew needs to judge the receiver is in ``get_status()``.

Reports are put together per fix time first (``epoch.py``: a fix is handed on once its epoch is
over, with the receiver's own speed and heading and the satellites of all constellations), then
judged by the filters.

A receiver date before ``RECEIVER_DATE_FLOOR`` cannot be right (it predates this software; a GPS
week-rollover bug puts receivers about 19.6 years back): such a fix is still used — the position is
good — but dated with the system clock, counted (``untrusted_time``) and warned about, rate-limited.

Runs in the caller's thread (the agent gives it its own); ``stop()`` may be called from any thread.
"""
from __future__ import annotations

import contextlib
import json
import logging
import socket
import statistics
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from gpsdclient.client import GPSDClient  # the package re-exports it implicitly only

from drivers.gps.epoch import EpochAssembler
from drivers.gps.filters import SO_FAR, FixFilter
from drivers.gps.fix import BadReport, Fix, NoTime, fix_from_tpv
from drivers.gps.ratelimit import WarnLimiter
from ztc.text import Text

log = logging.getLogger(__name__)

# What the crew and headquarters read in ``get_status()`` and the journal (log lines keep %s).
GPSD_CLOSED = Text("gpsd 关闭了连接", "gpsd closed the connection")
GPSD_SILENT = Text("gpsd {s:g} 秒无数据", "nothing from gpsd for {s:g} s")
GPSD_FAILED = Text("gpsd 连接失败", "gpsd connection failed: {error}")
NO_TIME = Text("GPS 定位没有时间，已忽略", "GPS position without a time ignored")
BAD_REPORT = Text("GPS 报文无效", "invalid GPS report: {error}: {report}")
NOT_CONNECTED = Text("未连接 gpsd", "not connected to gpsd at {host}:{port}")
NO_RECEIVER = Text("gpsd 未发现接收器", "no GPS receiver attached to gpsd")
NO_FIX = Text("无定位", "no GPS fix")
FIX_OK = Text("{mode}D 定位正常", "{mode}D fix")
SATS = Text(", {n} 颗卫星", "sats")   # appended to FIX_OK: "3D 定位正常 / 3D fix, 8 颗卫星 / sats"
DATE_BEFORE_FLOOR = Text("GPS 接收器日期不可信（{when}，早于 {floor}），改用系统时间",
                         "receiver date {when} is before the floor date: using the system time")
DATE_UNTRUSTED = Text("接收器日期不可信，已改用系统时间", "receiver date not trusted, system time used")
CLOCK_DRIFT = Text("系统时钟与GPS相差 {drift:+.0f} 秒", "system clock off GPS time by {drift:+.0f} s")
LOG_CONNECTED = Text("已连接 gpsd", "connected to gpsd at %s:%s")
LOG_RECONNECTING = Text("%s (%s:%s); 将重连", "reconnecting in %.1f s")
LOG_UNPARSEABLE = Text("gpsd 发来无法解析的数据", "unparseable line from gpsd: %r")

FIX_STALE_S = 10.0      # no accepted fix for this long: health says "no fix"
DRIFT_WARN_S = 5.0      # system clock further than this from GPS time: health says so
BACKOFF_START_S = 0.5
# No receiver date before this is trusted: it predates this software's release, so the receiver's
# clock is wrong (a GPS week-rollover bug dates a receiver about 19.6 years back, a flat RTC battery
# to its firmware's epoch). Documented in README (GPS).
RECEIVER_DATE_FLOOR = datetime(2026, 1, 1, tzinfo=UTC).timestamp()
_STREAM_END = "ztc:stream-end"   # internal marker: the connection ended, the held fix is complete


class GpsdSource:
    """Fixes from gpsd, filtered; reconnects by itself. Open lazily: nothing happens until iterated."""

    def __init__(self, host: str = "127.0.0.1", port: int = 2947, timeout_s: float = 10.0,
                 reconnect_max_s: float = 30.0, fix_filter: FixFilter | None = None,
                 clock: Callable[[], float] = time.time):
        self.host, self.port = host, port
        self.timeout_s = timeout_s
        self.reconnect_max_s = reconnect_max_s
        self.filter = fix_filter or FixFilter(clock=clock)
        self.clock = clock
        self._stop = threading.Event()
        self._client: GPSDClient | None = None
        # Health, written by the reading thread and read by anyone (plain attributes: GIL-safe).
        self.connected = False
        self.receivers: int | None = None     # devices gpsd reports; None until it said
        self.last_error = ""
        self.reconnects = 0
        self.bad_reports = 0
        self.no_time = 0           # TPV reports with a position but no time (gpsd waiting for the date)
        self.untrusted_time = 0    # accepted fixes dated before RECEIVER_DATE_FLOOR (system time used)
        self._last_untrusted = False
        self.epochs = EpochAssembler()
        self._warn = WarnLimiter(log, clock=clock)
        self.last_fix: Fix | None = None
        self.last_fix_at: float | None = None  # system time the last accepted fix arrived
        self.sats: int | None = None
        self._drift: deque[float] = deque(maxlen=15)

    @classmethod
    def from_settings(cls, gps: Any, clock: Callable[[], float] = time.time) -> GpsdSource:
        """Build from ``Settings.gps`` (host, port, timeouts, filter limits)."""
        flt = FixFilter(max_speed_ms=gps.max_speed_kmh / 3.6, future_tolerance_s=gps.future_tolerance_s,
                        clock=clock)
        return cls(gps.host, gps.port, gps.timeout_s, gps.reconnect_max_s, flt, clock)

    # --- the stream --------------------------------------------------------------------------

    def reports(self) -> Iterator[dict[str, Any]]:
        """Every JSON report gpsd sends, across reconnects, until ``stop()``."""
        backoff = BACKOFF_START_S
        while not self._stop.is_set():
            client = GPSDClient(host=self.host, port=self.port, timeout=self.timeout_s)
            self._client = client
            problem = str(GPSD_CLOSED)
            try:
                for line in client.json_stream():
                    if self._stop.is_set():
                        break
                    report = self._decode(line)
                    if report is None:
                        continue
                    if not self.connected:
                        log.info(str(LOG_CONNECTED), self.host, self.port)
                    self.connected, self.last_error, backoff = True, "", BACKOFF_START_S
                    yield report
            except TimeoutError:
                problem = str(GPSD_SILENT.format(s=self.timeout_s))
            except (OSError, ValueError) as e:
                problem = str(GPSD_FAILED.format(error=e))
            finally:
                client.close()  # type: ignore[no-untyped-call]  # gpsdclient leaves close() unannotated
                self._client = None
            if self._stop.is_set():
                break
            yield {"class": _STREAM_END}
            if self.connected or problem != self.last_error:
                log.warning(str(LOG_RECONNECTING), problem, self.host, self.port, backoff)
            self.connected, self.last_error = False, problem
            self.reconnects += 1
            self._stop.wait(backoff)
            backoff = min(backoff * 2, self.reconnect_max_s)
        self.connected = False

    def fixes(self) -> Iterator[Fix]:
        """Accepted fixes only (mode ≥ 2, plausible), one per fix time, each once its epoch is over;
        refusals are counted and logged by the filter."""
        for report in self.reports():
            kind = report.get("class")
            if kind == "SKY":
                self.epochs.sky(report)
            elif kind == _STREAM_END:
                yield from self._accepted(self.epochs.flush())
            elif kind == "DEVICES":
                devices = report.get("devices")
                self.receivers = len(devices) if isinstance(devices, list) else None
            elif kind == "DEVICE" and report.get("activated") == 0:
                self.receivers = max(0, (self.receivers or 1) - 1)
                yield from self._accepted(self.epochs.flush())   # the receiver is gone: its last fix is complete
            elif kind == "DEVICE":
                self.receivers = max(1, self.receivers or 0)
            elif kind == "TPV":
                fix = self._parse(report)
                if fix is not None:
                    yield from self._accepted(self.epochs.tpv(fix))

    def _parse(self, report: dict[str, Any]) -> Fix | None:
        try:
            return fix_from_tpv(report)
        except NoTime:
            self.no_time += 1
            self._warn.warn("no_time", f"{NO_TIME} ({SO_FAR.format(n=self.no_time)})")
        except BadReport as e:
            self.bad_reports += 1
            # Rate-limited per kind of problem ("lat is not a number", …): a new problem is news.
            self._warn.warn(f"bad:{str(e).split(':')[0]}",
                            str(BAD_REPORT.format(error=e, report=str(report)[:200])))
        return None

    def _accepted(self, fixes: list[Fix]) -> Iterator[Fix]:
        for fix in fixes:
            now = self.clock()
            trusted = fix.ts >= RECEIVER_DATE_FLOOR
            if fix.mode >= 2 and trusted:
                self._drift.append(now - fix.ts)
            if not self.filter.check(fix):   # judged in the receiver's own time: its intervals are right
                continue
            if not trusted:
                self.untrusted_time += 1
                when = datetime.fromtimestamp(fix.ts, UTC).strftime("%Y-%m-%d")
                floor = datetime.fromtimestamp(RECEIVER_DATE_FLOOR, UTC).strftime("%Y-%m-%d")
                self._warn.warn("untrusted_time", f"{DATE_BEFORE_FLOOR.format(when=when, floor=floor)} "
                                                  f"({SO_FAR.format(n=self.untrusted_time)})")
                fix = replace(fix, ts=now)
            self._last_untrusted = not trusted
            self.sats = fix.sats
            self.last_fix, self.last_fix_at = fix, now
            yield fix

    def _decode(self, line: str) -> dict[str, Any] | None:
        try:
            report = json.loads(line)
        except ValueError:
            report = None
        if not isinstance(report, dict):
            self.bad_reports += 1
            log.warning(str(LOG_UNPARSEABLE), line[:200])
            return None
        return report

    def stop(self) -> None:
        """End the stream soon (from any thread): wakes a blocked read by shutting the socket."""
        self._stop.set()
        client = self._client
        sock = getattr(client, "sock", None)
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    # --- health ------------------------------------------------------------------------------

    @property
    def clock_drift_s(self) -> float | None:
        """System clock minus GPS time (median of recent fixes); positive: the system clock is ahead."""
        return round(statistics.median(self._drift), 1) if self._drift else None

    def get_status(self) -> dict[str, Any]:
        """Device health for the agent's ``health`` message: state, a bilingual detail, and figures."""
        now = self.clock()
        fix = self.last_fix
        age = None if self.last_fix_at is None else round(now - self.last_fix_at, 1)
        drift = self.clock_drift_s
        if not self.connected:
            state = "error"
            detail = self.last_error or str(NOT_CONNECTED.format(host=self.host, port=self.port))
        elif self.receivers == 0:
            state, detail = "offline", str(NO_RECEIVER)
        elif fix is None or age is None or age > FIX_STALE_S:
            state, detail = "degraded", str(NO_FIX)
        else:
            state = "ok"
            sats = str(SATS.format(n=fix.sats)) if fix.sats is not None else ""
            detail = str(FIX_OK.format(mode=fix.mode)) + sats
        if state == "ok" and self._last_untrusted:
            state = "degraded"
            detail += f"; {DATE_UNTRUSTED}"
        if drift is not None and abs(drift) > DRIFT_WARN_S:
            if state == "ok":
                state = "degraded"
            detail += f"; {CLOCK_DRIFT.format(drift=drift)}"
        return {
            "state": state, "detail": detail, "connected": self.connected, "receivers": self.receivers,
            "mode": fix.mode if fix else None, "sats": fix.sats if fix else self.sats,
            "last_fix_ts": fix.ts if fix else None, "fix_age_s": age, "clock_drift_s": drift,
            "fixes": self.filter.accepted, "rejected": dict(self.filter.counts),
            "bad_reports": self.bad_reports, "no_time": self.no_time, "untrusted_time": self.untrusted_time,
            "reconnects": self.reconnects,
        }
