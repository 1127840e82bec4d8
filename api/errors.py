"""Product errors as HTTP answers: a 4xx with a JSON body in Chinese and English, never a 500."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from gis.errors import MiyunError

ENGLISH = {
    "not_found": "not found",
    "invalid_input": "invalid input",
    "invalid_crs": "invalid coordinate reference system",
    "invalid_layers": "the reference layers do not validate",
    "too_large": "too large",
    "conflict": "conflict: the record changed or its state does not allow this",
    "error": "error",
}


def body(code: str, message: str, **extra) -> dict:
    return {"error": {"code": code, "message": message, "message_en": ENGLISH.get(code, code), **extra}}


def install(app: FastAPI) -> None:
    @app.exception_handler(MiyunError)
    async def miyun_error(_request: Request, err: MiyunError):
        return JSONResponse(body(err.code, str(err), field=err.field, row=err.row), status_code=err.status)

    @app.exception_handler(RequestValidationError)
    async def bad_request(_request: Request, err: RequestValidationError):
        details = [{"field": ".".join(str(p) for p in e.get("loc", [])), "problem": e.get("msg")}
                   for e in err.errors()]
        return JSONResponse(body("invalid_input", "请求参数有误", details=details), status_code=422)
