"""Product errors as HTTP answers: a 4xx with a JSON body in Chinese and English, never a 500."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import PurePosixPath

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from gis.errors import MiyunError

ENGLISH = {
    "not_found": "not found",
    "invalid_input": "invalid input",
    "invalid_crs": "invalid coordinate reference system",
    "invalid_layers": "the reference layers do not validate",
    "too_large": "too large",
    "conflict": "conflict: the record changed or its state does not allow this",
    "unauthorized": "log in or send a bearer token",
    "forbidden": "your role, town or grid does not allow this",
    "too_many_requests": "too many attempts; try again later",
    "error": "error",
}


# an absolute file-system path (maybe behind a GDAL /vsizip/ prefix); URL paths such as /api/… are not
# among these first segments
_FS_ROOTS = ("tmp", "var", "home", "root", "work", "usr", "opt", "srv", "mnt", "data", "etc", "run", "proc", "dev")
_PATH = re.compile(r"(?:/vsi[a-z0-9]+/?)?((?:/[^\s/'\"，：；、（）()<>]+){2,})")


def scrub_paths(text: str) -> str:
    """``text`` with every server-side path replaced by its last part (no message names a path on the
    server: the temporary folders, the data or layer folders)."""
    roots = tuple(r.rstrip("/") + "/" for r in {tempfile.gettempdir(), os.getcwd()} if r not in ("", "/"))

    def short(match: re.Match) -> str:
        path = match.group(1)
        first = path.split("/")[1]
        if first in _FS_ROOTS or path.startswith(roots):
            return PurePosixPath(path).name
        return match.group(0)

    return _PATH.sub(short, text)


def body(code: str, message: str, **extra) -> dict:
    return {"error": {"code": code, "message": message, "message_en": ENGLISH.get(code, code), **extra}}


def install(app: FastAPI) -> None:
    @app.exception_handler(MiyunError)
    async def miyun_error(_request: Request, err: MiyunError):
        return JSONResponse(body(err.code, scrub_paths(str(err)), field=err.field, row=err.row),
                            status_code=err.status)

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
