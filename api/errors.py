"""Product errors as HTTP answers: a 4xx with a JSON body in Chinese and English, never a 500.

The core's errors (:mod:`gis.errors`) know nothing of HTTP; the status of each kind is here,
looked up along the class's ancestry (after tipg's ``DEFAULT_STATUS_CODES``), and the English
comes from the class itself.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from gis.errors import (
    Conflict,
    Forbidden,
    InputError,
    LayerError,
    MiyunError,
    NotFound,
    TooLarge,
    TooManyRequests,
    Unauthorized,
)

DEFAULT_STATUS_CODES: dict[type[MiyunError], int] = {
    MiyunError: 400,
    LayerError: 409,
    InputError: 422,
    NotFound: 404,
    TooLarge: 413,
    Conflict: 409,
    Unauthorized: 401,
    Forbidden: 403,
    TooManyRequests: 429,
}


def status_of(err: MiyunError | type[MiyunError]) -> int:
    """The HTTP status of a product error: its nearest kind in :data:`DEFAULT_STATUS_CODES`."""
    cls = err if isinstance(err, type) else type(err)
    for kind in cls.__mro__:
        if "status" in vars(kind):  # a kind written before the map (an older branch): its own status
            return int(vars(kind)["status"])
        if kind in DEFAULT_STATUS_CODES:
            return DEFAULT_STATUS_CODES[kind]
    return 400


def _kinds(cls: type[MiyunError] = MiyunError):
    yield cls
    for sub in cls.__subclasses__():
        yield from _kinds(sub)


def english(code: str) -> str:
    """The English of an error code, as its class states it."""
    for kind in _kinds():
        if vars(kind).get("code") == code:
            return kind.english
    return code


def body(code: str, message: str, **extra) -> dict:
    return {"error": {"code": code, "message": message, "message_en": english(code), **extra}}


def install(app: FastAPI) -> None:
    @app.exception_handler(MiyunError)
    async def miyun_error(_request: Request, err: MiyunError):
        return JSONResponse(body(err.code, str(err), field=err.field, row=err.row), status_code=status_of(err))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, err: StarletteHTTPException):
        messages = {400: "请求内容无法解析（不是有效的 JSON 或表单）", 404: "没有这个地址", 405: "不支持这种请求方法",
                    413: "请求过大"}
        code = {400: "invalid_input", 404: "not_found", 413: "too_large"}.get(err.status_code, "error")
        return JSONResponse(body(code, messages.get(err.status_code, str(err.detail)), detail=str(err.detail)),
                            status_code=err.status_code, headers=getattr(err, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def bad_request(_request: Request, err: RequestValidationError):
        details = [{"field": ".".join(str(p) for p in e.get("loc", [])), "problem": e.get("msg")}
                   for e in err.errors()]
        return JSONResponse(body("invalid_input", "请求参数有误", details=details), status_code=422)

    @app.exception_handler(RecursionError)
    async def too_deep(_request: Request, _err: RecursionError):
        return JSONResponse(body("invalid_input", "请求内容嵌套过深，拒收"), status_code=422)

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, err: Exception):
        import logging

        logging.getLogger("miyun").exception("unexpected error", exc_info=err)
        return JSONResponse(body("error", "服务器内部错误，已记录；请联系系统管理员"), status_code=500)
