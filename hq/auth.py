"""Staff accounts, log-in with lockout, and server-side sessions with a CSRF token.

Why server-side sessions: a session can be ended (log-out, account removed) at once, and the
cookie holds only a random token whose SHA-256 is stored (a copied database yields no live
session). Passwords are hashed with argon2id (argon2-cffi's current defaults, rehashed when those
change). Every state-changing request must carry the session's CSRF token in ``X-CSRF-Token``;
the cookie is ``SameSite=Strict`` and ``HttpOnly`` besides.
"""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from hq.login_limits import LoginThrottle
from hq.storage import HqStore

Role = Literal["admin", "operator"]
ROLES: tuple[Role, ...] = ("admin", "operator")
NAME_RE = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
MIN_PASSWORD = 8


_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not a password of anyone")  # unknown names cost the same time as known ones


class AuthError(Exception):
    """A refused log-in or account change; the text is shown to the person (Chinese / English)."""


@dataclass(frozen=True)
class User:
    name: str
    role: Role


@dataclass(frozen=True)
class Session:
    user: User
    csrf: str
    expires_at: float


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Accounts:
    def __init__(self, store: HqStore, failures_allowed: int = 5, lockout_s: float = 900,
                 session_s: float = 12 * 3600):
        self.store = store
        self.failures_allowed = failures_allowed
        self.lockout_s = lockout_s
        self.session_s = session_s
        self.throttle = LoginThrottle(store, failures_allowed, lockout_s)

    # --- accounts ---------------------------------------------------------------------------------

    def add_user(self, name: str, role: str, password: str, now: float) -> User:
        if not NAME_RE.match(name):
            raise AuthError("用户名只能包含字母、数字和 _ . - / user name: letters, digits, _ . - (1-32)")
        if role not in ROLES:
            raise AuthError(f"角色必须是 admin 或 operator / role must be admin or operator, not {role!r}")
        if len(password) < MIN_PASSWORD:
            raise AuthError(f"密码至少 {MIN_PASSWORD} 位 / the password needs at least {MIN_PASSWORD} characters")
        with self.store.transaction() as c:
            if c.execute(self.store.sql("SELECT 1 FROM users WHERE name = ?"), (name,)).fetchone():
                raise AuthError(f"用户已存在 / user {name} exists already")
            c.execute(self.store.sql("INSERT INTO users(name, role, hash, created_at) VALUES (?,?,?,?)"),
                      (name, role, _hasher.hash(password), now))
        return User(name, role)  # type: ignore[arg-type]

    def users(self) -> list[User]:
        return [User(r["name"], r["role"]) for r in self.store.query("SELECT name, role FROM users ORDER BY name")]

    # --- log-in -----------------------------------------------------------------------------------

    def login(self, name: str, password: str, now: float, client: str = "") -> tuple[str, Session]:
        """Check the password; returns (cookie token, session). Refusals raise AuthError. Lockout is per
        (name, client address): see hq.login_limits."""
        locked_s = self.throttle.locked_for(name, client, now)
        if locked_s > 0:
            wait = f"{max(1, round(locked_s / 60))} 分钟" if locked_s >= 90 else f"{max(1, round(locked_s))} 秒"
            wait_en = f"{max(1, round(locked_s / 60))} min" if locked_s >= 90 else f"{max(1, round(locked_s))} s"
            raise AuthError(f"登录失败次数过多，此账号在本机已锁定，请 {wait}后再试 / "
                            f"too many failed log-ins: locked from here, try again in {wait_en}")
        user_rows = self.store.query("SELECT name, role, hash FROM users WHERE name = ?", (name,))
        stored = user_rows[0]["hash"] if user_rows else _DUMMY_HASH
        try:
            _hasher.verify(stored, password)
            ok = bool(user_rows)
        except (VerificationError, InvalidHashError):
            ok = False
        if not ok:
            self.throttle.failed(name, client, now)
            raise AuthError("用户名或密码错误 / wrong user name or password")
        user = User(user_rows[0]["name"], user_rows[0]["role"])
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        with self.store.transaction() as c:
            self.throttle.succeeded(c, name, client)
            c.execute(self.store.sql("DELETE FROM sessions WHERE expires_at < ?"), (now,))
            c.execute(self.store.sql("INSERT INTO sessions(token_hash, name, csrf, created_at, expires_at) "
                                     "VALUES (?,?,?,?,?)"), (_token_hash(token), name, csrf, now, now + self.session_s))
            if _hasher.check_needs_rehash(stored):
                c.execute(self.store.sql("UPDATE users SET hash = ? WHERE name = ?"), (_hasher.hash(password), name))
        return token, Session(user, csrf, now + self.session_s)

    # --- sessions ---------------------------------------------------------------------------------

    def session(self, token: str | None, now: float) -> Session | None:
        if not token or len(token) > 200:
            return None
        rows = self.store.query(
            "SELECT s.csrf, s.expires_at, u.name, u.role FROM sessions s JOIN users u ON u.name = s.name "
            "WHERE s.token_hash = ? AND s.expires_at > ?", (_token_hash(token), now))
        if not rows:
            return None
        r = rows[0]
        return Session(User(r["name"], r["role"]), r["csrf"], r["expires_at"])

    def logout(self, token: str) -> None:
        with self.store.transaction() as c:
            c.execute(self.store.sql("DELETE FROM sessions WHERE token_hash = ?"), (_token_hash(token),))


def csrf_ok(session: Session, header: str | None) -> bool:
    return bool(header) and secrets.compare_digest(session.csrf, header or "")
