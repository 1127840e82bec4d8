"""Logging in and out, changing one's password, and one's own API tokens."""

from __future__ import annotations

import hmac
import html
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, Field

from api.auth import CSRF_COOKIE, SESSION_COOKIE, CurrentUser
from api.errors import status_of
from api.ratelimit import LIMITER
from api.state import ledger
from gis.auth.users import change_password, issue, revoke, verify_password
from gis.errors import Forbidden, MiyunError
from gis.schema import ROLES, SESSION_HOURS

router = APIRouter(tags=["account 账号"])

_PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>密云水库保水网格 · {title}</title>
<meta name="viewport" content="width=device-width,initial-scale=1">
<style>body{{font:15px sans-serif;background:#eef3f7;display:flex;justify-content:center;padding-top:10vh}}
form{{background:#fff;padding:24px 28px;border-radius:6px;box-shadow:0 1px 6px rgba(0,0,0,.2);min-width:300px}}
label{{display:block;margin:10px 0 4px}}input{{width:100%;padding:6px;box-sizing:border-box}}
button{{margin-top:16px;padding:6px 18px}}.error{{color:#c00}}</style></head><body>{content}</body></html>"""


def page(title: str, content: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(_PAGE.format(title=html.escape(title), content=content), status_code=status,
                        headers={"Cache-Control": "no-store"})


def _safe_next(target: str | None) -> str:
    return target if target and target.startswith("/") and not target.startswith("//") else "/"


def _login_form(next_url: str, error: str = "") -> str:
    message = f'<p class="error">{html.escape(error)}</p>' if error else ""
    return (f'<form method="post" action="/login"><h2>密云水库保水网格 GIS</h2>{message}'
            f'<input type="hidden" name="next" value="{html.escape(next_url)}">'
            '<label>用户名</label><input name="username" autocomplete="username" required autofocus>'
            '<label>密码</label><input name="password" type="password" autocomplete="current-password" required>'
            '<button>登录</button></form>')


@router.get("/login", response_class=HTMLResponse, summary="登录页")
def login_page(next: str = "/") -> HTMLResponse:
    return page("登录", _login_form(_safe_next(next)))


@router.post("/login", summary="登录（表单）：设置会话 Cookie")
async def login(request: Request, username: Annotated[str, Form(max_length=64)],
                password: Annotated[str, Form(max_length=200)], next: Annotated[str, Form()] = "/"):
    origin = request.headers.get("origin")
    if origin and origin not in (f"{request.url.scheme}://{request.url.netloc}",):
        raise Forbidden("登录请求来自其他网站")
    address = f"ip:{request.client.host if request.client else '?'}"
    name_key = f"user:{username.strip().lower()}"
    try:
        LIMITER.check(name_key, address)
        user = await run_in_threadpool(verify_password, ledger(), username, password)
    except MiyunError as err:
        if status_of(err) == 401:
            LIMITER.failed(name_key, address)
        return page("登录", _login_form(_safe_next(next), str(err)), status=status_of(err))
    LIMITER.succeeded(name_key)
    token, csrf = await run_in_threadpool(lambda: issue(ledger(), user.username, kind="session"))
    target = "/account/password" if user.must_change else _safe_next(next)
    response = RedirectResponse(target, status_code=303)
    secure = request.url.scheme == "https"
    response.set_cookie(SESSION_COOKIE, token, max_age=SESSION_HOURS * 3600, httponly=True, samesite="strict",
                        secure=secure)
    response.set_cookie(CSRF_COOKIE, csrf, max_age=SESSION_HOURS * 3600, httponly=False, samesite="strict",
                        secure=secure)
    return response


def _form_csrf_ok(request: Request, sent: str) -> bool:
    token, kind, csrf = request.state.session
    return kind != "session" or (bool(csrf) and hmac.compare_digest(sent or "", csrf))


@router.post("/logout", summary="退出登录")
def logout(request: Request, csrf_token: Annotated[str, Form()] = ""):
    if not _form_csrf_ok(request, csrf_token or request.headers.get("x-csrf-token", "")):
        raise Forbidden("缺少或错误的 CSRF 令牌")
    revoke(ledger(), request.state.session[0])
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    response.delete_cookie(CSRF_COOKIE)
    return response


def _password_form(csrf: str, user_label: str, error: str = "", first: bool = False) -> str:
    message = f'<p class="error">{html.escape(error)}</p>' if error else ""
    intro = "<p>首次登录，请把一次性密码改为自己的密码。</p>" if first else ""
    return (f'<form method="post" action="/account/password"><h2>修改密码</h2><p>{html.escape(user_label)}</p>'
            f'{intro}{message}<input type="hidden" name="csrf_token" value="{html.escape(csrf)}">'
            '<label>原密码</label><input name="old" type="password" autocomplete="current-password" required>'
            '<label>新密码（至少 10 个字符）</label><input name="new" type="password" autocomplete="new-password" '
            'required><label>再输一次</label><input name="again" type="password" autocomplete="new-password" required>'
            '<button>保存</button></form>')


@router.get("/account/password", response_class=HTMLResponse, summary="修改密码页")
def password_page(request: Request, user: CurrentUser) -> HTMLResponse:
    return page("修改密码", _password_form(request.state.session[2], user.label, first=user.must_change))


@router.post("/account/password", summary="修改密码（表单）")
def password_change(request: Request, user: CurrentUser, old: Annotated[str, Form(max_length=200)],
                    new: Annotated[str, Form(max_length=200)], again: Annotated[str, Form(max_length=200)],
                    csrf_token: Annotated[str, Form()] = ""):
    csrf = request.state.session[2]
    if not _form_csrf_ok(request, csrf_token):
        raise Forbidden("缺少或错误的 CSRF 令牌")
    try:
        if new != again:
            raise MiyunError("两次输入的新密码不一致")
        change_password(ledger(), user.username, old, new)
    except MiyunError as err:
        return page("修改密码", _password_form(csrf, user.label, str(err), first=user.must_change), status=400)
    return RedirectResponse("/", status_code=303)


@router.get("/api/me", summary="当前用户")
def me(user: CurrentUser) -> dict:
    return {"username": user.username, "role": user.role, "role_cn": ROLES[user.role], "town": user.town,
            "grid_id": user.grid_id, "must_change_password": user.must_change}


class TokenRequest(BaseModel):
    name: Annotated[str, Field(max_length=100, description="用途，如 手机")] = ""
    days: Annotated[int, Field(ge=1, le=3650)] = 365


@router.post("/api/tokens", status_code=201, summary="为自己签发接口令牌（只显示这一次）")
def new_token(body: TokenRequest, user: CurrentUser) -> dict:
    token, _ = issue(ledger(), user.username, kind="token", name=body.name, hours=body.days * 24)
    return {"token": token, "name": body.name, "days": body.days}
