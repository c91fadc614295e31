"""Limits on password checks, so log-in attempts can neither exhaust headquarters nor lock staff out.

Why each part:
- **Concurrency** (``LoginGate``): an argon2 check allocates 64 MiB for ~0.1 s. Forty at once on the
  web thread pool took ``ztc hq`` from ~130 MiB to 2 GiB and stalled every other request, whose
  threads they held. Checks now run on a pool of their own (``WORKERS`` threads, so at most that many
  64 MiB blocks; one, because argon2 already runs four lanes and a second check at once starved the
  other requests on two cores: p99 2.3 s instead of 0.34 s in bench/bench_login.py), awaited by
  an async route that holds no shared thread; at most ``MAX_WAITING`` more may queue, beyond that
  the answer is 429 with ``Retry-After`` at once.
- **Rate per client** (token bucket per client address): ``BURST`` attempts, then one per
  ``REFILL_S``; past that 429 with ``Retry-After`` — the password is not even checked.
- **Lockout per name and client** (``LoginThrottle``, a table): wrong passwords lock that name *from
  that address* only, for a delay that doubles with every further failure (``FIRST_LOCK_S`` up to
  ``hq.lockout_s``). A stranger guessing a colleague's password locks only themself; the owner,
  from their own desk, still logs in. A success, or a day without failures, forgets the count.
"""
from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from hq.storage import HqStore

T = TypeVar("T")

WORKERS = 1            # argon2 checks at once (64 MiB each; each uses 4 lanes of the CPU)
MAX_WAITING = 6        # more queued than this: 429 at once
BURST = 10             # attempts a client may make at once …
REFILL_S = 6.0         # … then one every this many seconds (10 a minute)
MAX_CLIENTS = 10_000   # buckets kept (least recently used dropped first)
FIRST_LOCK_S = 30.0    # the first lock; doubles with each failure after it, up to hq.lockout_s
FORGET_S = 86_400      # failures older than this are forgotten



class TooMany(Exception):
    """Refused before any password check; ``retry_after`` in whole seconds (the Retry-After header)."""

    def __init__(self, retry_after: int, text: str):
        super().__init__(text)
        self.retry_after = max(1, retry_after)


class LoginGate:
    """Per-client token buckets and the bounded pool that runs password checks."""

    def __init__(self, clock: Callable[[], float], workers: int = WORKERS, max_waiting: int = MAX_WAITING,
                 burst: int = BURST, refill_s: float = REFILL_S):
        self.clock = clock
        self.burst, self.refill_s = burst, refill_s
        self.max_inflight = workers + max_waiting
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="login-check")
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # client → (tokens, at)
        self._lock = threading.Lock()
        self._inflight = 0

    def admit(self, client: str) -> None:
        """Take one token of this client's bucket, or raise TooMany."""
        now = self.clock()
        with self._lock:
            tokens, at = self._buckets.pop(client, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + max(0.0, now - at) / self.refill_s)
            if tokens < 1:
                self._buckets[client] = (tokens, now)
                wait = int((1 - tokens) * self.refill_s + 0.999)
                raise TooMany(wait, f"登录尝试过于频繁，请 {wait} 秒后再试 / too many log-in attempts: "
                                    f"try again in {wait} s")
            self._buckets[client] = (tokens - 1, now)
            while len(self._buckets) > MAX_CLIENTS:
                self._buckets.popitem(last=False)

    async def run(self, check: Callable[[], T]) -> T:
        """Run one password check on the gate's own pool, or raise TooMany when too many wait."""
        with self._lock:
            if self._inflight >= self.max_inflight:
                raise TooMany(1, "登录请求过多，请稍后再试 / too many log-ins at once: try again in a moment")
            self._inflight += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self.pool, check)
        finally:
            with self._lock:
                self._inflight -= 1


class LoginThrottle:
    """Failures and locks per (name, client address), in the headquarters database."""

    def __init__(self, store: HqStore, failures_allowed: int, max_lock_s: float):
        self.store = store
        self.failures_allowed = failures_allowed
        self.max_lock_s = max_lock_s

    def locked_for(self, name: str, client: str, now: float) -> float:
        """Seconds this name stays locked from this client (0: not locked)."""
        rows = self.store.query("SELECT locked_until FROM login_throttle WHERE name = ? AND client = ?",
                                (name[:64], client[:64]))
        until = rows[0]["locked_until"] if rows else None
        return max(0.0, until - now) if until else 0.0

    def failed(self, name: str, client: str, now: float) -> None:
        with self.store.transaction() as c:
            sql = self.store.sql
            c.execute(sql("DELETE FROM login_throttle WHERE last_failure < ? AND "
                          "(locked_until IS NULL OR locked_until < ?)"), (now - FORGET_S, now))
            row = c.execute(sql("SELECT failures FROM login_throttle WHERE name = ? AND client = ?"),
                            (name[:64], client[:64])).fetchone()
            failures = (int(row[0]) if row else 0) + 1
            over = failures - self.failures_allowed
            locked = now + min(self.max_lock_s, FIRST_LOCK_S * 2 ** min(over, 30)) if over >= 0 else None
            c.execute(sql("INSERT INTO login_throttle(name, client, failures, locked_until, last_failure) "
                          "VALUES (?,?,?,?,?) ON CONFLICT(name, client) DO UPDATE SET failures = excluded.failures, "
                          "locked_until = excluded.locked_until, last_failure = excluded.last_failure"),
                      (name[:64], client[:64], failures, locked, now))

    def succeeded(self, c: object, name: str, client: str) -> None:
        """Inside the log-in's own transaction: this client's count for this name starts again."""
        c.execute(self.store.sql("DELETE FROM login_throttle WHERE name = ? AND client = ?"),  # type: ignore[attr-defined]
                  (name[:64], client[:64]))
