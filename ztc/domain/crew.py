"""Crew log-in: crew numbers with PINs stored only as argon2 hashes, and a lockout.

In the bus database (not a file) so that every process sees the same accounts and the same lockout,
and a PIN change or lockout commits like any other change.
"""
from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError

from ztc.db import Database
from ztc.text import Text

# OWASP's minimum argon2id parameters: a Pi-class CPU verifies a PIN in well under a second.
_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)


@dataclass(frozen=True)
class LoginResult:
    ok: bool
    reason: str = ""          # "" | "wrong" | "locked" | "no_accounts"
    tries_left: int = 0
    locked_for_s: float = 0.0


BAD_CREW_NUMBER = Text("工号是 1 到 8 位数字", "the crew number is 1 to 8 digits")
BAD_PIN = Text("密码是 4 到 8 位数字", "the PIN is 4 to 8 digits")


def valid_crew_number(crew: str) -> bool:
    return crew.isdigit() and 1 <= len(crew) <= 8


def valid_pin(pin: str) -> bool:
    return pin.isdigit() and 4 <= len(pin) <= 8


class CrewAccounts:
    def __init__(self, db: Database, clock: Callable[[], float] = time.time, max_failures: int = 5,
                 lockout_s: float = 300.0):
        self.db = db
        self.clock = clock
        self.max_failures = max_failures
        self.lockout_s = lockout_s

    def has_accounts(self) -> bool:
        with self.db.read() as conn:
            return conn.execute("SELECT 1 FROM crew WHERE pin_hash IS NOT NULL LIMIT 1").fetchone() is not None

    def set_pin(self, crew: str, pin: str) -> None:
        if not valid_crew_number(crew):
            raise ValueError(str(BAD_CREW_NUMBER))
        if not valid_pin(pin):
            raise ValueError(str(BAD_PIN))
        pin_hash = _hasher.hash(pin)  # slow on purpose: outside the write lock
        with self.db.write() as conn:
            conn.execute("INSERT INTO crew(number, pin_hash, failures, locked_until, updated_at) VALUES (?,?,0,0,?) "
                         "ON CONFLICT(number) DO UPDATE SET pin_hash = excluded.pin_hash, failures = 0, "
                         "locked_until = 0, updated_at = excluded.updated_at", (crew, pin_hash, self.clock()))

    def verify(self, crew: str, pin: str) -> LoginResult:
        """Check a PIN; counts failures and locks the number after ``max_failures`` in a row.

        An unknown (well-formed) crew number counts failures too, so it cannot be told apart from a
        wrong PIN.
        """
        now = self.clock()
        with self.db.read() as conn:
            if conn.execute("SELECT 1 FROM crew WHERE pin_hash IS NOT NULL LIMIT 1").fetchone() is None:
                return LoginResult(False, "no_accounts")
            row = conn.execute("SELECT pin_hash, failures, locked_until FROM crew WHERE number = ?",
                               (crew,)).fetchone()
        pin_hash, _, locked_until = row if row else (None, 0, 0.0)
        if locked_until > now:
            return LoginResult(False, "locked", 0, locked_until - now)
        ok = False
        if pin_hash:
            with contextlib.suppress(VerifyMismatchError, InvalidHashError):
                ok = _hasher.verify(pin_hash, pin)
        with self.db.write() as conn:
            if ok:
                assert pin_hash is not None  # ok only after verifying this hash
                new_hash = _hasher.hash(pin) if _hasher.check_needs_rehash(pin_hash) else pin_hash
                conn.execute("UPDATE crew SET failures = 0, pin_hash = ?, updated_at = ? WHERE number = ?",
                             (new_hash, now, crew))
                return LoginResult(True)
            if not valid_crew_number(crew):
                return LoginResult(False, "wrong", self.max_failures)  # garbage is not stored
            failures = conn.execute(
                "INSERT INTO crew(number, pin_hash, failures, locked_until, updated_at) VALUES (?, NULL, 1, 0, ?) "
                "ON CONFLICT(number) DO UPDATE SET failures = failures + 1, updated_at = excluded.updated_at "
                "RETURNING failures", (crew, now)).fetchone()[0]
            if failures >= self.max_failures:
                conn.execute("UPDATE crew SET failures = 0, locked_until = ? WHERE number = ?",
                             (now + self.lockout_s, crew))
                return LoginResult(False, "locked", 0, self.lockout_s)
            return LoginResult(False, "wrong", self.max_failures - failures)
