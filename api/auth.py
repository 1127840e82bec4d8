"""Who is asking: every request but ``/healthz`` and the login page carries a session cookie or a
bearer token, or is refused (401; a browser is sent to the login page).

Browser sessions are cookies (HttpOnly, SameSite=Strict) with a CSRF secret: a
write made with the cookie must echo it in ``X-CSRF-Token`` (or in the form's
``csrf_token`` for the account forms, which check it themselves).  Scripts and
phones send ``Authorization: Bearer <token>``.  An account that still has its
one-time password may only change it.
"""

from __future__ import annotations

import hmac
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
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
    return request.cookies.get(SESSION_COOKIE), "cookie"


async def authenticate(request: Request, call_next):
    """The middleware: attach ``request.state.user`` or answer 401 / 403 / a redirect."""
    path = request.url.path
    if path in PUBLIC_PATHS or path.startswith(DEVICE_PATHS):
        return await call_next(request)
    token, how = _credentials(request)
    found = await run_in_threadpool(resolve, ledger(), token) if token else None
    if found is None:
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
    return await call_next(request)


def current_user(request: Request) -> User:
    return request.state.user


CurrentUser = Annotated[User, Depends(current_user)]
