"""Who is asking: every request but ``/healthz`` and the login page carries a session cookie or a
bearer token, or is refused (401; a browser is sent to the login page).

Browser sessions are cookies (HttpOnly, SameSite=Strict) with a CSRF secret: a
write made with the cookie must echo it in ``X-CSRF-Token`` (or in the form's
``csrf_token`` for the account forms, which check it themselves).  Scripts and
phones send ``Authorization: Bearer <token>``; GIS desktop tools (QGIS, GDAL, OWSLib) send
``Authorization: Basic`` with the user name and an API token as the password.  An account that still has its
one-time password may only change it.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse

from api.errors import body
from api.state import ledger
from gis.auth.users import User, resolve

SESSION_COOKIE = "miyun_session"
CSRF_COOKIE = "miyun_csrf"
PUBLIC_PATHS = {"/healthz", "/login", "/favicon.ico"}
DEVICE_PATHS = "/ingest/"  # tracker apps: the routes authenticate the device themselves (api/routes/ingest.py)
FORMS_CHECKING_CSRF = {"/logout", "/account/password"}
PASSWORD_PATHS = {"/account/password", "/logout", "/api/me"}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def _wants_html(request: Request) -> bool:
    return request.method == "GET" and "text/html" in request.headers.get("accept", "")


def _credentials(request: Request) -> tuple[str | None, str]:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip(), "bearer"
    if header.lower().startswith("basic "):
        return header[6:].strip(), "basic"
    return request.cookies.get(SESSION_COOKIE), "cookie"


def _basic_token(credentials: str) -> tuple[str, str] | None:
    """(user name, API token) of ``Authorization: Basic`` — how QGIS, GDAL and OWSLib can log in.
    The password must be one of the user's API tokens (``miyun-gis users token``), never the
    account password: tokens can be withdrawn one by one and are not typed into desktop tools' files."""
    try:
        name, sep, token = base64.b64decode(credentials, validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (name, token) if sep and name and token else None


def _resolve_basic(credentials: str):
    pair = _basic_token(credentials)
    found = resolve(ledger(), pair[1]) if pair else None
    if found is None or found[1] != "token" or not hmac.compare_digest(found[0].username, pair[0]):
        return None
    return found


def _check(request: Request):
    """None when the request may go on (``request.state.user`` and ``.session`` set), else the answer:
    401 / 403 / a redirect.

    The session or token is read from the ledger on every request, in the event loop: one indexed
    read of SQLite in WAL mode (readers never wait for writers), ~50 µs, cheaper than a hop to a
    worker thread.  It is not cached: a logout, a withdrawn token or a disabled account
    (``miyun-gis users disable``, another process) must stop at once in every worker, and the
    ledger offers no change signal for the accounts alone (every case written bumps SQLite's
    ``data_version``)."""
    path = request.url.path
    if path in PUBLIC_PATHS or path.startswith(DEVICE_PATHS):
        return None
    token, how = _credentials(request)
    if how == "basic" and request.method not in SAFE_METHODS:  # a browser may resend Basic on its own: no writes
        return JSONResponse(body("forbidden", "Basic 认证只能读取；写入请用 Authorization: Bearer 令牌"), status_code=403)
    if how == "basic":
        found = _resolve_basic(token)
    else:
        found = resolve(ledger(), token) if token else None
    if found is None:
        if how == "basic":  # a GIS client: say what its password must be
            return JSONResponse(body("unauthorized", "Basic 认证：用户名为账号，密码须为该账号的 API 令牌"
                                                     "（miyun-gis users token），不是登录密码"),
                                status_code=401, headers={"WWW-Authenticate": 'Basic realm="miyun-gis", charset="UTF-8"'})
        if _wants_html(request):
            return RedirectResponse(f"/login?next={quote(str(request.url.path))}", status_code=303)
        return JSONResponse(body("unauthorized", "请先登录，或在请求头 Authorization: Bearer 中给出令牌"),
                            status_code=401, headers={"WWW-Authenticate": "Bearer"})
    user, kind, csrf = found
    if how == "cookie" and request.method not in SAFE_METHODS and path not in FORMS_CHECKING_CSRF:
        sent = request.headers.get("x-csrf-token", "")
        if not csrf or not hmac.compare_digest(sent, csrf):
            return JSONResponse(body("forbidden", "缺少或错误的 CSRF 令牌（X-CSRF-Token）"), status_code=403)
    if kind == "session" and user.must_change and path not in PASSWORD_PATHS:
        if _wants_html(request):
            return RedirectResponse("/account/password", status_code=303)
        return JSONResponse(body("forbidden", "请先修改一次性密码（/account/password）"), status_code=403)
    request.state.user = user
    request.state.session = (token, kind, csrf)
    return None


class Authenticate:
    """The middleware, as plain ASGI (no ``BaseHTTPMiddleware``: the body is not re-streamed through
    a task and a queue): attach ``request.state.user`` or answer 401 / 403 / a redirect."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            refusal = _check(Request(scope))
            if refusal is not None:
                return await refusal(scope, receive, send)
        await self.app(scope, receive, send)


def current_user(request: Request) -> User:
    return request.state.user


CurrentUser = Annotated[User, Depends(current_user)]
