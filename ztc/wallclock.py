"""Is the bus's wall clock right, and what to do when it is stepped.

A single-board computer has no battery clock: it boots with the time of its last shutdown
(fake-hwclock) or 1970, and chrony steps the clock once the GPS receiver (or NTP over the cellular
link) answers. Residents are waiting meanwhile, so the kiosk keeps issuing numbers with the clock it
has; this module makes that harmless:

- ``assess`` says whether the clock can be trusted: never below ``FLOOR`` (a date this software
  cannot run before), never when a GPS fix disagrees; trusted when the kernel reports the clock
  synchronised (chrony/NTP clear STA_UNSYNC, read with adjtimex(2)) or a recent GPS fix agrees.
- ``observe`` runs at the start of every write transaction (``Database.write``) and in the agent:
  a change of (wall clock − boot clock) larger than ``STEP_S`` is a step. In the same transaction,
  before anything is written with the new clock, every row this boot made gets its times moved by the
  step, the step is stored (``clock_steps``) and a ``clock.stepped`` event tells headquarters which of
  the events it holds were stamped by the old clock (docs/protocol.md). Service days and numbers are
  left alone: a step never reissues a number or moves a ticket to another day on the bus.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import datetime as dt
import logging
import sqlite3
import time
from dataclasses import asdict, dataclass
from typing import Any

log = logging.getLogger(__name__)

FLOOR = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)  # before this the clock is certainly wrong
FLOOR_TS = FLOOR.timestamp()
STEP_S = 2.0        # a jump of the wall clock against the boot clock this large is a step
DRIFT_S = 0.5       # smaller changes (chrony slewing) only move the stored baseline
GPS_AGREE_S = 10.0  # a GPS fix this close to the wall clock confirms it
GPS_FRESH_S = 120.0  # … for this long after it arrived (boot-clock seconds)

# Local rows whose times come from the wall clock, corrected by a step (all are marked with their boot).
CORRECTED = {
    "tickets": ("issued_at", "called_at", "started_at", "ended_at"),
    "visits": ("opened_at", "closed_at"),
    "records": ("ts",),
    "ratings": ("ts",),
    "suggestions": ("ts",),
    "scans": ("created_at", "purged_at"),
    "crew_alerts": ("ts", "dismissed_at"),
}

_boot_id: str | None = None


def boot_id() -> str:
    """The kernel's id of this boot (the same in every process until the next reboot)."""
    global _boot_id
    if _boot_id is None:
        try:
            with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as f:
                _boot_id = f.read().strip() or "unknown"
        except OSError:
            _boot_id = "unknown"
    return _boot_id


def uptime() -> float:
    """Seconds since boot on the kernel's boot clock, which no step of the wall clock moves."""
    return time.clock_gettime(time.CLOCK_BOOTTIME)


def wall_offset() -> float:
    """Wall clock minus boot clock: constant while the clock runs, it jumps when the clock is stepped."""
    return time.time() - uptime()


class _Timeval(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_usec", ctypes.c_long)]


class _Timex(ctypes.Structure):
    """struct timex of <sys/timex.h> (Linux); only ``status`` is read."""

    _fields_ = [("modes", ctypes.c_uint), ("offset", ctypes.c_long), ("freq", ctypes.c_long),
                ("maxerror", ctypes.c_long), ("esterror", ctypes.c_long), ("status", ctypes.c_int),
                ("constant", ctypes.c_long), ("precision", ctypes.c_long), ("tolerance", ctypes.c_long),
                ("time", _Timeval), ("tick", ctypes.c_long), ("ppsfreq", ctypes.c_long),
                ("jitter", ctypes.c_long), ("shift", ctypes.c_int), ("stabil", ctypes.c_long),
                ("jitcnt", ctypes.c_long), ("calcnt", ctypes.c_long), ("errcnt", ctypes.c_long),
                ("stbcnt", ctypes.c_long), ("tai", ctypes.c_int), ("_pad", ctypes.c_int * 11)]


STA_UNSYNC = 0x0040
TIME_ERROR = 5


_libc: ctypes.CDLL | None = None


def kernel_synced() -> bool | None:
    """True when chrony (or any NTP daemon) has told the kernel the clock is synchronised.

    adjtimex(2) with modes 0 only reads; None where it cannot be called (not Linux). The library is
    looked up once (``find_library`` runs ldconfig: milliseconds).
    """
    global _libc
    try:
        if _libc is None:
            _libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        tx = _Timex()
        state = _libc.adjtimex(ctypes.byref(tx))
    except (OSError, AttributeError):
        return None
    if state < 0:
        return None
    return state != TIME_ERROR and not tx.status & STA_UNSYNC


@dataclass(frozen=True)
class ClockStatus:
    """What the crew console and the health report say about the clock."""

    trusted: bool
    reason: str                      # synced | gps | below_floor | gps_disagrees | unsynced
    gps_offset_s: float | None = None  # GPS time minus wall clock at the last fix

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def text(self, lang: str) -> str:
        """One line for the crew, in their language; empty while the clock is trusted."""
        if self.trusted:
            return ""
        off_zh, off_en = _span(abs(self.gps_offset_s or 0.0))
        why = {"below_floor": ("时钟早于 2026 年", "the clock reads before 2026"),
               "gps_disagrees": (f"与卫星时间相差 {off_zh}", f"{off_en} off the GPS time"),
               "unsynced": ("等待卫星或网络校时", "waiting for GPS or network time")}.get(self.reason, ("", ""))
        zh, en = why
        return f"时间未校准（{zh}）" if lang != "en" else f"clock not set ({en})"


def _span(seconds: float) -> tuple[str, str]:
    """A difference as a crew member reads it: 40 秒, 12 分钟, 15 小时, 3 天."""
    for size, zh, en in ((86400, "天", "days"), (3600, "小时", "h"), (60, "分钟", "min")):
        if seconds >= 2 * size:
            n = round(seconds / size)
            return f"{n} {zh}", f"{n} {en}"
    return f"{seconds:.0f} 秒", f"{seconds:.0f} s"


def assess(now: float, synced: bool | None, gps_offset_s: float | None = None) -> ClockStatus:
    """Trust the wall clock ``now``? ``gps_offset_s``: GPS time − wall clock of a recent fix, if any.

    A receiver whose own date is before the floor (a GPS week roll-over) is not listened to.
    """
    if gps_offset_s is not None and now + gps_offset_s < FLOOR_TS:
        gps_offset_s = None
    if now < FLOOR_TS:
        return ClockStatus(False, "below_floor", gps_offset_s)
    if gps_offset_s is not None and abs(gps_offset_s) > GPS_AGREE_S:
        return ClockStatus(False, "gps_disagrees", gps_offset_s)
    if synced:
        return ClockStatus(True, "synced", gps_offset_s)
    if gps_offset_s is not None:
        return ClockStatus(True, "gps", gps_offset_s)
    return ClockStatus(False, "unsynced", None)


@dataclass(frozen=True)
class Step:
    delta_s: float
    wall_before: float
    wall_after: float
    from_seq: int
    upto_seq: int
    corrected: int


def _meta(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


def _set_meta(conn: sqlite3.Connection, key: str, value: str) -> None:
    conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))


def mark_boot(conn: sqlite3.Connection) -> None:
    """At open (inside a transaction): note this boot and where its outbox events begin."""
    boot = boot_id()
    if _meta(conn, "boot") == boot:
        return
    row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'").fetchone()
    _set_meta(conn, "boot", boot)
    _set_meta(conn, "boot_first_seq", str(int(row[0]) + 1 if row else 1))
    _set_meta(conn, "clock_offset", f"{boot} {wall_offset():.3f}")


def stepped(conn: sqlite3.Connection) -> float | None:
    """Without writing: how far the clock moved since the stored baseline (None: no baseline)."""
    stored = _meta(conn, "clock_offset")
    if not stored or stored.split(" ")[0] != boot_id():
        return None
    return wall_offset() - float(stored.split(" ")[1])


def observe(conn: sqlite3.Connection) -> Step | None:
    """Inside a write transaction: detect a step since the last look and correct for it.

    Never raises for a database problem: issuing a number must not fail because of the clock (the
    step is then handled by the next transaction).
    """
    try:
        conn.execute("SAVEPOINT wallclock")
        try:
            step = _observe(conn)
        except BaseException:
            conn.execute("ROLLBACK TO wallclock")
            raise
        finally:
            conn.execute("RELEASE wallclock")
    except sqlite3.Error as e:
        log.error("clock step check failed (tried again with the next change): %s", e)
        return None
    return step


def _observe(conn: sqlite3.Connection) -> Step | None:
    boot = boot_id()
    offset = wall_offset()
    stored = _meta(conn, "clock_offset")
    if not stored or stored.split(" ")[0] != boot:
        _set_meta(conn, "clock_offset", f"{boot} {offset:.3f}")
        return None
    delta = offset - float(stored.split(" ")[1])
    if abs(delta) < STEP_S:
        if abs(delta) >= DRIFT_S:
            _set_meta(conn, "clock_offset", f"{boot} {offset:.3f}")
        return None
    return _apply(conn, boot, round(delta, 3), offset)


def _apply(conn: sqlite3.Connection, boot: str, delta: float, offset: float) -> Step:
    from ztc.db import outbox

    corrected = 0
    for table, columns in CORRECTED.items():
        sets = ", ".join(f"{c} = {c} + :d" for c in columns)
        corrected += conn.execute(f"UPDATE {table} SET {sets} WHERE boot = :b", {"d": delta, "b": boot}).rowcount
    seq = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'").fetchone()
    upto = int(seq[0]) if seq else 0
    first = int(_meta(conn, "boot_first_seq") or 1)
    up = uptime()
    after = offset + up
    step = Step(delta, after - delta, after, first, upto, corrected)
    conn.execute("INSERT INTO clock_steps(boot, uptime_s, delta_s, wall_before, wall_after, from_seq, upto_seq, "
                 "corrected) VALUES (?,?,?,?,?,?,?,?)",
                 (boot, up, delta, step.wall_before, after, first, upto, corrected))
    if upto >= first:
        outbox.append(conn, "clock.stepped", {"delta_s": delta, "from_seq": first, "upto_seq": upto,
                                              "wall_before": round(step.wall_before, 3)}, after)
    _set_meta(conn, "clock_offset", f"{boot} {offset:.3f}")
    log.warning("the wall clock was stepped by %+.3f s; %d local rows and outbox events %d..%d corrected",
                delta, corrected, first, upto)
    return step


def steps(conn: sqlite3.Connection, boot: str | None = None) -> list[dict[str, Any]]:
    """The stored steps (of one boot), oldest first."""
    where, args = ("WHERE boot = ?", (boot,)) if boot else ("", ())
    return [dict(r) for r in conn.execute(f"SELECT * FROM clock_steps {where} ORDER BY id", args)]
