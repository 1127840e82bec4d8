"""``/m/``: the mobile page for field staff, and the routes it uses.

The page (files in ``api/static_mobile``) is installable and works offline: a Service Worker keeps
the page, Leaflet (from the installed XStatic package) and the grid's map data; reports and patrol
fixes wait in IndexedDB until they are sent.  A report is one case however often it is sent (its
client id); a patrol batch is stored once (its batch id) and its fixes once (staff and time).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated

import numpy as np
from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse

from api.auth import CurrentUser
from api.routes.ingest import inbox, parse_json, read_body
from api.state import built_for_layers, case_store, current, layer_set, ledger
from api.uploads import read_limited
from gis.auth.rights import grid_scope, require, require_grid
from gis.auth.users import User, account_created
from gis.errors import InputError, NotFound
from gis.intake.mobile import add_report, client_id, require_staff, staff_of
from gis.intake.protocols import LiveFix, _number, parse_time
from gis.intake.receive import Malformed, accept
from gis.ledger.evidence import add_evidence, check_image, evidence_dir
from gis.localtime import today_local
from gis.lookup import one_grid
from gis.schema import (
    BOUNDARY_MARKERS,
    CONTOUR_155,
    DUTIES,
    DUTIES_TITLE,
    EVIDENCE_MAX_BYTES,
    FENCE_GATES,
    GRIDS,
    MOBILE_APP,
    SAMPLE_MARK,
    WEB_CRS,
)

router = APIRouter(tags=["mobile 移动页面"])
STATIC = Path(__file__).resolve().parents[1] / "static_mobile"
FILES = {"app.js": "text/javascript", "app.css": "text/css", "sw.js": "text/javascript",
         "manifest.webmanifest": "application/manifest+json", "icon.svg": "image/svg+xml"}
NEIGHBOUR_M = 500.0


@router.get("/m", include_in_schema=False)
def mobile_root() -> RedirectResponse:
    return RedirectResponse("/m/", status_code=308)


@router.get("/m/", include_in_schema=False)
def mobile_page(_user: CurrentUser) -> FileResponse:
    return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8",
                        headers={"Cache-Control": "no-cache"})


@router.get("/m/{name}", include_in_schema=False)
def mobile_file(name: str, _user: CurrentUser) -> FileResponse:
    if name not in FILES:
        raise NotFound("没有这个文件", field="name", value=name)
    headers = {"Cache-Control": "no-cache"}
    if name == "sw.js":
        headers["Service-Worker-Allowed"] = "/m/"
    return FileResponse(STATIC / name, media_type=FILES[name], headers=headers)


def _grid_of(user: User, grid: str | None) -> str:
    grid = grid_scope(user, grid)  # field staff: their own grid (another one asked for is refused)
    if not grid:
        raise InputError("请给出网格编号 grid（保水员账号自动为本网格）", field="grid")
    return grid


def _features(frame, properties: list[str]) -> list[dict]:
    frame = frame.to_crs(WEB_CRS)
    out = []
    for geometry, *values in zip(frame.geometry, *[frame[p] for p in properties]):
        if geometry is None or geometry.is_empty:
            continue
        props = {p: (v.item() if isinstance(v, np.generic) else v) for p, v in zip(properties, values)}
        out.append({"type": "Feature", "geometry": json.loads(json.dumps(geometry.__geo_interface__)),
                    "properties": props})
    return out


def grid_map(grid_id: str) -> dict:
    """The grid, its neighbours, the 155 m line, markers and gates near it, in WGS84 (built once per
    version of the layers)."""
    def build(_path):
        layers = layer_set()
        frames = layers.frames
        grids = frames[GRIDS.name]
        own = one_grid(grids, grid_id)
        area = own.geometry.iloc[0].buffer(NEIGHBOUR_M)
        near = grids.loc[grids.intersects(area)]
        box = near.total_bounds
        clip = area.envelope.union(near.geometry.union_all().envelope).envelope
        collections = {
            "grids": _features(near.assign(own=near["grid_id"] == grid_id),  # not a layer: the page's key
                               ["grid_id", "town", "kind", "own"]),
            "contour_155m": (_features(frames[CONTOUR_155.name].clip(clip), [])  # not a layer: the page's key
                             if CONTOUR_155.name in frames else []),
            "markers": _features(frames[BOUNDARY_MARKERS.name].clip(clip), ["marker_id", "number"]),
            "gates": _features(frames[FENCE_GATES.name].clip(clip), ["gate_id", "name"]),
        }
        return {"grid_id": grid_id, "town": own["town"].iloc[0], "sample": layers.sample,
                "sample_mark": SAMPLE_MARK if layers.sample else "", "bounds_4548": [float(b) for b in box],
                "hillshade": layers.hillshade, **{k: {"type": "FeatureCollection", "features": v}
                                                   for k, v in collections.items()}}

    return built_for_layers(f"mobile-map:{grid_id}", build)


@router.get("/api/mobile/map", summary="移动页面：本网格及相邻网格、155 米线、界桩、进出口（WGS84）")
def mobile_map(user: CurrentUser, grid: str | None = None) -> dict:
    grid_id = _grid_of(user, grid)
    require_grid(user, grid_id, one_grid(layer_set().frames[GRIDS.name], grid_id)["town"].iloc[0])
    return grid_map(grid_id)


def _today(staff_id: str | None, grid_id: str) -> dict | None:
    from api.routes.patrols import figures

    day = today_local().isoformat()
    try:
        grid, staff = figures(day)
    except NotFound:
        return None
    own = staff.loc[staff["staff_id"] == staff_id] if staff_id else staff.iloc[0:0]
    cell = grid.loc[grid["grid_id"] == grid_id]
    return {"date": day,
            "distance_km": float(own["distance_km"].iloc[0]) if len(own) else 0.0,
            "on_duty_hours": float(own["on_duty_hours"].iloc[0]) if len(own) else 0.0,
            "grid_coverage_50m": float(cell["coverage_50m"].iloc[0]) if len(cell) else None}


@router.get("/api/mobile/me", summary="移动页面：我是谁、本网格、今日本人里程与时长")
def mobile_me(user: CurrentUser) -> dict:
    staff_id = staff_of(ledger(), user)
    grid_id = user.grid_id
    return {"username": user.username, "label": user.label, "role": user.role, "staff_id": staff_id,
            "grid_id": grid_id, "town": user.town,
            "duties": [{"code": k, "label": DUTIES.short[k], "detail": v} for k, v in DUTIES.items()],
            "today": _today(staff_id, grid_id) if grid_id else None}


@router.post("/api/mobile/reports", summary="移动页面上报（按客户端编号去重：重发仍是同一案件）")
async def mobile_report(user: CurrentUser,
                        client: Annotated[str, Form(alias="client_id", description="页面生成的编号")],
                        category: Annotated[str, Form(description=f"{DUTIES_TITLE}：{', '.join(DUTIES)}")],
                        lon: Annotated[float, Form()], lat: Annotated[float, Form()],
                        accuracy: Annotated[float | None, Form(description="定位精度（米）")] = None,
                        note: Annotated[str, Form(max_length=2000)] = "",
                        reported_at: Annotated[str | None, Form()] = None,
                        photo: Annotated[UploadFile | None, File(description="现场照片")] = None) -> JSONResponse:
    require(user, "create_case")
    client = client_id(client)
    data = await read_limited(photo, EVIDENCE_MAX_BYTES) if photo is not None and photo.filename else None
    if data is not None:
        check_image(data, photo.filename)
    description = note.strip()
    if accuracy is not None:
        description = f"{description}（手机定位，精度约 {accuracy:.0f} 米）".lstrip()

    def authorise(placed: dict) -> None:  # field staff: their grid; town operators: their town
        require_grid(user, placed["grid_id"], placed["town"])

    def save() -> tuple[dict, bool]:
        reporter = staff_of(ledger(), user) or user.username
        case, new = add_report(case_store(), client, user=user.username, category=category, source="patrol",
                               reporter=reporter, lon=lon, lat=lat, reported_at=reported_at,
                               description=description, authorise=authorise)
        if data is not None:
            add_evidence(ledger(), evidence_dir(current().data_dir), case["case_id"], photo.filename, data,
                         user=user.username)
        return case, new

    case, new = await run_in_threadpool(save)
    return JSONResponse({"client_id": client, "case_id": case["case_id"], "grid_id": case["grid_id"],
                         "town": case["town"], "duplicate": not new}, status_code=201 if new else 200)


def _batch_fixes(body) -> tuple[str, list[LiveFix]]:
    if not isinstance(body, dict) or not isinstance(body.get("fixes"), list):
        raise Malformed("应为 {\"batch_id\": …, \"fixes\": [...]}", field="body")
    batch = client_id(body.get("batch_id"), "batch_id")
    fixes = []
    for number, item in enumerate(body["fixes"]):
        if not isinstance(item, dict):
            raise InputError("应为 JSON 对象", field=f"fixes[{number}]")
        where = f"fixes[{number}]."
        fixes.append(LiveFix(
            time=parse_time(item.get("time"), where + "time"),
            lat=_number(item.get("lat"), where + "lat", required=True),
            lon=_number(item.get("lon"), where + "lon", required=True),
            accuracy_m=_number(item.get("accuracy"), where + "accuracy"),
            speed_ms=_number(item.get("speed"), where + "speed", unknown_below=0),
            bearing_deg=_number(item.get("heading"), where + "heading", unknown_below=0),
            altitude_m=_number(item.get("altitude"), where + "altitude")))
    return batch, fixes


@router.post("/api/mobile/patrols/batches", summary="移动页面巡查轨迹（分批上传，按批次编号去重）")
async def mobile_batch(request: Request, user: CurrentUser) -> JSONResponse:
    require(user, "upload_tracks")
    batch, fixes = _batch_fixes(parse_json(await read_body(request)))
    if not fixes:
        raise InputError("批次中没有定位点", field="fixes")

    def store():
        staff = require_staff(ledger(), user)
        added = account_created(ledger(), user.username) or datetime.now(timezone.utc)
        return accept(inbox(), fixes, staff_id=staff, app=MOBILE_APP, device_id=f"web:{user.username}",
                      added=added, batch_id=batch)

    stored = await run_in_threadpool(store)
    return JSONResponse({"batch_id": batch, "fixes": len(fixes), "stored": stored.stored,
                         "duplicates": stored.duplicates, "repeated_batch": stored.repeated_batch})
