"""Crew log-in: crew numbers with PINs stored only as argon2 hashes, and a lockout.

Why a file and not the database: the bus schema has no crew table yet (requested from the lead);
this small interface (``set_pin`` / ``verify``) is what the screens use, so the storage can move into
the database later without touching them. The file is written atomically under a lock because the
crew console and ``ztc kiosk --set-pin`` may touch it at the same time.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError

MAX_FAILURES = 5          # wrong PINs in a row before the account locks (settings: kiosk.login_failures)
LOCKOUT_S = 300.0         # how long it stays locked (settings: kiosk.lockout_s)
_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)  # OWASP minimum; a Pi-class CPU


@dataclass(frozen=True)
class LoginResult:
    ok: bool
    reason: str = ""          # "" | "wrong" | "locked" | "no_accounts"
    tries_left: int = 0
    locked_for_s: float = 0.0


def valid_crew_number(crew: str) -> bool:
    return crew.isdigit() and 1 <= len(crew) <= 8


def valid_pin(pin: str) -> bool:
    return pin.isdigit() and 4 <= len(pin) <= 8


class CrewAccounts:
    def __init__(self, path: Path, clock: Callable[[], float] = time.time, max_failures: int = MAX_FAILURES,
                 lockout_s: float = LOCKOUT_S):
        self.path = path
        self.clock = clock
        self.max_failures = max_failures
        self.lockout_s = lockout_s

    @contextlib.contextmanager
    def _locked(self) -> Iterator[dict[str, Any]]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(self.path.name + ".lock"), "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            data = self._read()
            before = json.dumps(data, sort_keys=True)
            yield data
            if json.dumps(data, sort_keys=True) != before:
                tmp = self.path.with_name(self.path.name + f".tmp{os.getpid()}")
                tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
                os.chmod(tmp, 0o600)
                tmp.replace(self.path)

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as e:
            raise OSError(f"工作人员账户文件损坏 / crew account file unreadable: {self.path}: {e}") from e
        return data if isinstance(data, dict) else {}

    def has_accounts(self) -> bool:
        return bool(self._read())

    def set_pin(self, crew: str, pin: str) -> None:
        if not valid_crew_number(crew):
            raise ValueError("工号是 1 到 8 位数字 / the crew number is 1 to 8 digits")
        if not valid_pin(pin):
            raise ValueError("密码是 4 到 8 位数字 / the PIN is 4 to 8 digits")
        with self._locked() as data:
            data[crew] = {"hash": _hasher.hash(pin), "failures": 0, "locked_until": 0.0}

    def verify(self, crew: str, pin: str) -> LoginResult:
        """Check a PIN; counts failures and locks the account after MAX_FAILURES in a row."""
        now = self.clock()
        with self._locked() as data:
            if not data:
                return LoginResult(False, "no_accounts")
            # An unknown crew number gets a record too, so it cannot be told apart from a wrong PIN.
            acct = data.setdefault(crew, {"hash": None, "failures": 0, "locked_until": 0.0})
            if acct["locked_until"] > now:
                return LoginResult(False, "locked", 0, acct["locked_until"] - now)
            ok = False
            if acct["hash"]:
                with contextlib.suppress(VerifyMismatchError, InvalidHashError):
                    ok = _hasher.verify(acct["hash"], pin)
            if ok:
                acct["failures"] = 0
                if _hasher.check_needs_rehash(acct["hash"]):
                    acct["hash"] = _hasher.hash(pin)
                return LoginResult(True)
            acct["failures"] += 1
            if acct["failures"] >= self.max_failures:
                acct["failures"] = 0
                acct["locked_until"] = now + self.lockout_s
                return LoginResult(False, "locked", 0, self.lockout_s)
            if acct["hash"] is None and not valid_crew_number(crew):
                del data[crew]  # do not grow the file with garbage
            return LoginResult(False, "wrong", self.max_failures - acct["failures"])
