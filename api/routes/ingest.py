"""``/ingest/*``: live fixes from tracker apps, exactly as they send them (no change to the apps).

* ``GET|POST /ingest/osmand``: the OsmAnd protocol (Traccar Client, OsmAnd) — query or form
  parameters, or Traccar Client 9's JSON (one object or a list).  Answer: 200, empty body.
* ``POST /ingest/owntracks``: OwnTracks in HTTP mode, HTTP Basic (user = device name, password =
  its secret).  Answer: a JSON array (``[]``), as OwnTracks expects.

These routes authenticate the device, not a user (the app cannot log in): the middleware lets
``/ingest/`` through and every request here is checked against the device table.  A 200 goes out
only after the fixes are committed to the inbox on disk.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
from pathlib import Path
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from api.folding import folding
from api.state import current, ledger
from gis.errors import TooLarge, Unauthorized
from gis.intake import protocols
from gis.intake.inbox import Inbox
from gis.intake.receive import Malformed, accept, one_device
from gis.schema import MAX_INGEST_BYTES

router = APIRouter(tags=["ingest 定位接收"], lifespan=folding)  # and the fold into the track store


@functools.lru_cache(maxsize=4)
def _inbox_at(data_dir: Path) -> Inbox:
    return Inbox(data_dir)


def inbox() -> Inbox:
    return _inbox_at(current().data_dir.resolve())


async def read_body(request: Request) -> bytes:
    """The request body, refused as soon as it passes :data:`MAX_INGEST_BYTES`."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_INGEST_BYTES:
        raise TooLarge(f"请求过大（上限 {MAX_INGEST_BYTES // 1024} KB）；请分批发送")
    parts, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_INGEST_BYTES:
            raise TooLarge(f"请求过大（上限 {MAX_INGEST_BYTES // 1024} KB）；请分批发送")
        parts.append(chunk)
    return b"".join(parts)


def parse_json(body: bytes):
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Malformed(f"不是有效的 JSON：{exc}", field="body") from None
    except RecursionError:
        raise Malformed("JSON 嵌套过深", field="body") from None


def _store(fixes, *, app: str, default_secret: str | None = None, name: str | None = None):
    device = one_device(ledger(), fixes, default_secret=default_secret, name=name)
    return accept(inbox(), fixes, staff_id=device.staff_id, app=app, device_id=device.device_id,
                  added=device.added)


@router.api_route("/ingest/osmand", methods=["GET", "POST"], summary="OsmAnd 协议（Traccar Client、OsmAnd）定位上报")
async def osmand(request: Request) -> Response:
    body = await read_body(request)
    query = dict(request.query_params)
    text = body.lstrip()[:1]
    if text in (b"{", b"[") or "json" in request.headers.get("content-type", ""):
        def from_json():  # a queue of a thousand fixes is parsed off the event loop
            fixes = protocols.traccar_json(parse_json(body))
            if not fixes:
                raise Malformed("JSON 中没有定位", field="body")
            _store(fixes, app="osmand", default_secret=query.get("id") or query.get("deviceid"))

        await run_in_threadpool(from_json)
        return Response(status_code=200)
    params = dict(query)
    if body:
        try:
            form = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False,
                             max_num_fields=100)
        except (UnicodeDecodeError, ValueError) as exc:
            raise Malformed(f"不是有效的表单：{exc}", field="body") from None
        for key, value in form:
            params.setdefault(key, value)
    fix = protocols.osmand_params(params)
    await run_in_threadpool(_store, [fix], app="osmand")
    return Response(status_code=200)


def _basic(request: Request) -> tuple[str, str]:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("basic "):
        raise Unauthorized("缺少 HTTP Basic 认证（在 OwnTracks 的 Identification 中填写用户名和密码）")
    try:
        user, _, password = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise Unauthorized("HTTP Basic 认证格式不对") from None
    return user, password


@router.post("/ingest/owntracks", summary="OwnTracks（HTTP 模式）定位上报，答复 JSON 数组")
async def owntracks(request: Request) -> JSONResponse:
    user, password = _basic(request)
    body = await read_body(request)
    if not body.strip():  # OwnTracks posts an empty payload when a friend is deleted
        await run_in_threadpool(lambda: one_device(ledger(), [], default_secret=password, name=user))
        return JSONResponse([])
    fix = protocols.owntracks(parse_json(body))
    if fix is None:  # other message types (lwt, transition, status …) carry no position
        await run_in_threadpool(lambda: one_device(ledger(), [], default_secret=password, name=user))
        return JSONResponse([])
    await run_in_threadpool(_store, [fix], app="owntracks", default_secret=password, name=user)
    return JSONResponse([])
