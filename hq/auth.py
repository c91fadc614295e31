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
from typing import TYPE_CHECKING, Any, Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from hq.login_limits import LoginThrottle
from hq.passwords import WeakPassword, check_password
from hq.storage import HqStore

if TYPE_CHECKING:
    from hq.audit import Stamp

Role = Literal["admin", "operator"]
ROLES: tuple[Role, ...] = ("admin", "operator")
NAME_RE = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")


_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not a password of anyone")  # unknown names cost the same time as known ones


class AuthError(Exception):
    """A refused log-in or account change; the text is shown to the person (Chinese / English)."""


@dataclass(frozen=True)
class User:
    name: str
    role: Role
    disabled: bool = False


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

    def add_user(self, name: str, role: str, password: str, now: float, stamp: Stamp | None = None) -> User:
        if not NAME_RE.match(name):
            raise AuthError("用户名只能包含字母、数字和 _ . - / user name: letters, digits, _ . - (1-32)")
        self._check_role(role)
        self._check_password(password, name)
        with self.store.transaction() as c:
            if c.execute(self.store.sql("SELECT 1 FROM users WHERE name = ?"), (name,)).fetchone():
                raise AuthError(f"用户已存在 / user {name} exists already")
            c.execute(self.store.sql("INSERT INTO users(name, role, hash, created_at) VALUES (?,?,?,?)"),
                      (name, role, _hasher.hash(password), now))
            if stamp:
                stamp.write(c, "account", f"user:{name}", None, {"role": role, "disabled": False})
        return User(name, role)  # type: ignore[arg-type]

    def users(self) -> list[User]:
        return [User(r["name"], r["role"], bool(r["disabled"]))
                for r in self.store.query("SELECT name, role, disabled FROM users ORDER BY name")]

    def change(self, name: str, stamp: Stamp | None, role: str | None = None, disabled: bool | None = None,
               password: str | None = None) -> User:
        """Change role, disable/enable, or reset the password. Disabling (and a reset) ends the account's
        sessions at once. The audit record holds role and disabled before/after, never a password."""
        if role is not None:
            self._check_role(role)
        if password is not None:
            self._check_password(password, name)
        with self.store.transaction() as c:
            sql = self.store.sql
            row = c.execute(sql("SELECT role, disabled FROM users WHERE name = ?"), (name,)).fetchone()
            if row is None:
                raise AuthError(f"没有这个用户 / no such user: {name}")
            before: dict[str, Any] = {"role": row[0], "disabled": bool(row[1])}
            after = {"role": role if role is not None else row[0],
                     "disabled": disabled if disabled is not None else bool(row[1])}
            if before["role"] == "admin" and not before["disabled"] and \
                    (after["role"] != "admin" or after["disabled"]):
                others = c.execute(sql("SELECT COUNT(*) FROM users WHERE role = 'admin' AND disabled = 0 "
                                       "AND name <> ?"), (name,)).fetchone()[0]
                if not others:
                    raise AuthError("这是最后一个管理员账号，不能停用或降级 / this is the last admin: it cannot "
                                    "be disabled or lose the admin role")
            c.execute(sql("UPDATE users SET role = ?, disabled = ? WHERE name = ?"),
                      (after["role"], int(after["disabled"]), name))
            if password is not None:
                c.execute(sql("UPDATE users SET hash = ? WHERE name = ?"), (_hasher.hash(password), name))
                after["password"] = "重置 / reset"
            if after["disabled"] or password is not None:
                c.execute(sql("DELETE FROM sessions WHERE name = ?"), (name,))
            if stamp:
                stamp.write(c, "account", f"user:{name}", before, after)
        return User(name, after["role"], after["disabled"])

    @staticmethod
    def _check_role(role: str) -> None:
        if role not in ROLES:
            raise AuthError(f"角色必须是 admin 或 operator / role must be admin or operator, not {role!r}")

    @staticmethod
    def _check_password(password: str, name: str) -> None:
        try:
            check_password(password, name)
        except WeakPassword as e:
            raise AuthError(str(e)) from None

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
        user_rows = self.store.query("SELECT name, role, hash, disabled FROM users WHERE name = ?", (name,))
        stored = user_rows[0]["hash"] if user_rows else _DUMMY_HASH
        try:
            _hasher.verify(stored, password)
            ok = bool(user_rows)
        except (VerificationError, InvalidHashError):
            ok = False
        if not ok:
            self.throttle.failed(name, client, now)
            raise AuthError("用户名或密码错误 / wrong user name or password")
        if user_rows[0]["disabled"]:
            raise AuthError("此账号已停用，请联系管理员 / this account is disabled: ask an administrator")
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
            "WHERE s.token_hash = ? AND s.expires_at > ? AND u.disabled = 0", (_token_hash(token), now))
        if not rows:
            return None
        r = rows[0]
        return Session(User(r["name"], r["role"]), r["csrf"], r["expires_at"])

    def logout(self, token: str) -> None:
        with self.store.transaction() as c:
            c.execute(self.store.sql("DELETE FROM sessions WHERE token_hash = ?"), (_token_hash(token),))


def csrf_ok(session: Session, header: str | None) -> bool:
    return bool(header) and secrets.compare_digest(session.csrf, header or "")
