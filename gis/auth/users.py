"""Users of the app: accounts, passwords (argon2), sessions and tokens — only hashes are stored.

A new account, and every reset, gets a one-time password printed once; the
user must choose their own at the first login.  There is never a default
password: the first start of the app creates ``admin`` with a one-time
password and prints it once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from gis.errors import Conflict, Forbidden, InputError, NotFound, Unauthorized
from gis.ledger.db import Ledger, to_utc_text
from gis.lookup import check_town
from gis.schema import PASSWORD_MIN_LENGTH, ROLES, SESSION_HOURS, TOKEN_DAYS

_HASHER = PasswordHasher()
FIRST_ADMIN = "admin"
_DUMMY_HASH = _HASHER.hash("not a password of anyone")  # equal work for unknown names


@dataclass(frozen=True)
class User:
    username: str
    role: str
    town: str | None = None
    grid_id: str | None = None
    must_change: bool = False

    @property
    def label(self) -> str:
        where = self.grid_id or self.town or "全区"
        return f"{self.username}（{ROLES.short[self.role]}，{where}）"


def _user(row) -> User:
    return User(row["username"], row["role"], row["town"], row["grid_id"], bool(row["must_change"]))


def one_time_password() -> str:
    return secrets.token_urlsafe(12)


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _check_username(username: str) -> str:
    name = (username or "").strip()
    if not name or len(name) > 64 or not all(c.isalnum() or c in "-_." for c in name) or not name.isascii():
        raise InputError("用户名须为 1–64 个字母、数字或 - _ .", field="username", value=username)
    return name


def check_password(password: str) -> None:
    if len(password or "") < PASSWORD_MIN_LENGTH:
        raise InputError(f"密码至少 {PASSWORD_MIN_LENGTH} 个字符", field="password")


def add_user(ledger: Ledger, *, by: str, username: str, role: str, town: str | None = None,
             grid_id: str | None = None, grid_towns: dict[str, str] | None = None) -> str:
    """Create an account; returns its one-time password (show it once, store it nowhere)."""
    name = _check_username(username)
    if role not in ROLES:
        raise InputError(f"未知角色 {role}；应为 {'、'.join(ROLES)}", field="role", value=role)
    if role == "town_operator":
        if not town:
            raise InputError("镇操作员须指定所属镇（--town）", field="town")
        check_town(town)
    if role == "field_staff":
        if not grid_id or grid_towns is None or grid_id not in grid_towns:
            raise InputError(f"网格保水员须指定存在的网格（--grid），收到 {grid_id!r}", field="grid_id")
        town = grid_towns[grid_id]
    password = one_time_password()
    with ledger.write(by) as tx:
        if tx.one("SELECT 1 FROM users WHERE username = ?", (name,)):
            raise Conflict(f"用户 {name} 已存在", field="username", value=name)
        tx.insert("users", name, {"username": name, "role": role, "town": town if role in ("town_operator",
                                                                                       "field_staff") else None,
                                  "grid_id": grid_id if role == "field_staff" else None,
                                  "password_hash": _HASHER.hash(password), "must_change": 1, "disabled": 0,
                                  "created_at": tx.at, "created_by": by})
    return password


def ensure_first_admin(ledger: Ledger) -> str | None:
    """On the very first start (no accounts at all): create ``admin``; return its one-time password."""
    if ledger.one("SELECT 1 FROM users LIMIT 1"):
        return None
    try:
        return add_user(ledger, by="first-start", username=FIRST_ADMIN, role="admin")
    except Conflict:  # another process made it first
        return None


def list_users(ledger: Ledger) -> list[dict]:
    return [dict(r) for r in ledger.query(
        "SELECT username, role, town, grid_id, must_change, disabled, created_at, created_by FROM users "
        "ORDER BY username")]


def account_created(ledger: Ledger, username: str) -> datetime | None:
    """When the account ``username`` was made (UTC), or None if there is no such account."""
    row = ledger.one("SELECT created_at FROM users WHERE username = ?", (username,))
    return datetime.fromisoformat(row["created_at"].replace("Z", "+00:00")) if row else None


def _get(tx_or_ledger, username: str):
    row = tx_or_ledger.one("SELECT * FROM users WHERE username = ?", (username,))
    if row is None:
        raise NotFound(f"用户 {username} 不存在", field="username", value=username)
    return row


def set_disabled(ledger: Ledger, username: str, *, by: str, disabled: bool = True) -> None:
    """Disable (or enable) an account; a disabled account's sessions and tokens stop working at once."""
    with ledger.write(by) as tx:
        row = _get(tx, username)
        tx.update("users", {"username": username}, dict(row), {"disabled": int(disabled)})
        if disabled:
            tx.execute("UPDATE auth_tokens SET revoked = 1 WHERE username = ?", (username,))


def reset_password(ledger: Ledger, username: str, *, by: str) -> str:
    """A new one-time password (the user must change it); every session and token of the user ends."""
    password = one_time_password()
    with ledger.write(by) as tx:
        row = _get(tx, username)
        tx.update("users", {"username": username}, dict(row), {"password_hash": _HASHER.hash(password),
                                                               "must_change": 1})
        tx.execute("UPDATE auth_tokens SET revoked = 1 WHERE username = ?", (username,))
    return password


def verify_password(ledger: Ledger, username: str, password: str) -> User:
    """The user when the password is right and the account enabled; :class:`Unauthorized` otherwise."""
    row = ledger.one("SELECT * FROM users WHERE username = ?", ((username or "").strip(),))
    try:
        _HASHER.verify(row["password_hash"] if row else _DUMMY_HASH, password or "")
    except (VerificationError, InvalidHashError):
        raise Unauthorized("用户名或密码错误") from None
    if row is None:
        raise Unauthorized("用户名或密码错误")
    if row["disabled"]:
        raise Forbidden("账号已停用，请联系系统管理员")
    return _user(row)


def change_password(ledger: Ledger, username: str, old: str, new: str) -> None:
    """The user's own change: the old password proves it is them; the new one must differ."""
    verify_password(ledger, username, old)
    check_password(new)
    if hmac.compare_digest(old, new):
        raise InputError("新密码不能与原密码相同", field="password")
    with ledger.write(username) as tx:
        row = _get(tx, username)
        tx.update("users", {"username": username}, dict(row), {"password_hash": _HASHER.hash(new), "must_change": 0})


def issue(ledger: Ledger, username: str, *, kind: str, name: str = "", hours: float | None = None) -> tuple[str, str]:
    """A new session (kind 'session', with a CSRF secret) or API token (kind 'token'); returns
    (token, csrf).  Only the token's hash is stored."""
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(24) if kind == "session" else ""
    hours = hours if hours is not None else (SESSION_HOURS if kind == "session" else TOKEN_DAYS * 24)
    now = datetime.now(timezone.utc)
    with ledger.write(username) as tx:
        _get(tx, username)
        tx.execute("INSERT INTO auth_tokens (token_hash, username, kind, name, csrf, created_at, expires_at) "
                   "VALUES (?,?,?,?,?,?,?)", (_hash_token(token), username, kind, name[:100], csrf,
                                             to_utc_text(now), to_utc_text(now + timedelta(hours=hours))))
        if kind == "token":
            tx.note("auth_tokens", username, "token_issued", name[:100] or "(unnamed)")
    return token, csrf


def resolve(ledger: Ledger, token: str | None) -> tuple[User, str, str] | None:
    """(user, kind, csrf) of a live session or token; None when unknown, expired, revoked or disabled."""
    if not token or len(token) > 200:
        return None
    row = ledger.one(
        "SELECT u.*, t.kind, t.csrf, t.expires_at, t.revoked FROM auth_tokens t JOIN users u USING (username) "
        "WHERE t.token_hash = ?", (_hash_token(token),))
    if row is None or row["revoked"] or row["disabled"] or row["expires_at"] < to_utc_text(datetime.now(timezone.utc)):
        return None
    return _user(row), row["kind"], row["csrf"] or ""


def revoke(ledger: Ledger, token: str) -> None:
    """End a session (logout) or withdraw a token."""
    ledger.connection.execute("UPDATE auth_tokens SET revoked = 1 WHERE token_hash = ?", (_hash_token(token),))
