"""``/api/cases``: the case ledger over HTTP — create, update (with a version check), list, overdue, photos."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import numpy as np
import shapely
from fastapi import APIRouter, File, Query, UploadFile
from pydantic import BaseModel, Field

from api.auth import CurrentUser
from api.state import case_store, data_dir, layer_set, ledger
from api.tables import Format, sheets_response
from api.types import DAY_PATTERN, Offset, OptionalMonth, Version
from api.uploads import read_limited
from gis.auth.rights import grid_scope, require, require_grid, require_town, town_scope
from gis.auth.users import User
from gis.crs import to_web
from gis.ledger.evidence import add_evidence, evidence_dir
from gis.localtime import local_text, parse_day, parse_month, today_local
from gis.lookup import check_town
from gis.schema import (
    CASE_SOURCES,
    CASE_STATUSES,
    CONSTRUCTION_KINDS,
    DUTIES,
    DUTIES_TITLE,
    EVIDENCE_MAX_BYTES,
    FINAL_STATUSES,
    ORDER_KINDS,
    VILLAGES,
)

router = APIRouter(tags=["cases 案件台账"])
Text = Annotated[str, Field(max_length=2000)]


class CaseIn(BaseModel):
    category: Annotated[str, Field(description=f"{DUTIES_TITLE}类别：{', '.join(DUTIES)}")]
    source: Annotated[str, Field(description=f"线索来源：{', '.join(CASE_SOURCES)}")] = "patrol"
    reporter: Annotated[str, Field(max_length=200, description="上报人：保水员编号或单位")]
    lon: float | None = None
    lat: float | None = None
    geometry: Annotated[dict[str, Any] | None, Field(description="GeoJSON 点或面（代替 lon/lat）")] = None
    crs: Annotated[str | None, Field(description="EPSG:4326（默认）、其他 EPSG、gcj02 或 bd09")] = None
    reported_at: Annotated[str | None, Field(description="发现时间，无时区按北京时间；默认现在")] = None
    description: Text = ""
    subtype: Annotated[str | None, Field(description=f"违建类型：{', '.join(CONSTRUCTION_KINDS)}")] = None
    deadline: Annotated[str | None, Field(description="办理期限 YYYY-MM-DD（非违建案件）")] = None
    responsible_unit: Annotated[str | None, Field(max_length=200)] = None
    clue_id: Annotated[str | None, Field(max_length=200)] = None


class CaseUpdate(BaseModel):
    version: Version
    status: Annotated[str | None, Field(description=f"新状态：{', '.join(CASE_STATUSES)}")] = None
    at: Annotated[str | None, Field(description="办理时间，默认现在")] = None
    order_kind: Annotated[str | None, Field(description=f"通知书：{', '.join(ORDER_KINDS)}")] = None
    deadline: str | None = None
    responsible_unit: Annotated[str | None, Field(max_length=200)] = None
    description: Annotated[str | None, Field(max_length=2000)] = None
    note: Text = ""


def _public(case: dict) -> dict:
    """A ledger row as JSON: labels in Chinese, local times beside UTC, geometry as WGS84 GeoJSON."""
    out = {k: v for k, v in case.items() if k not in ("geometry", "x", "y")}
    out["status_cn"] = CASE_STATUSES.get(case["status"])
    out["category_cn"] = DUTIES.short.get(case["category"], "")
    out["reported_local"] = local_text(case["reported_at"])
    if case.get("geometry") is not None:
        geom = shapely.from_wkb(case["geometry"])
        geom = shapely.transform(geom, lambda xy: np.column_stack(to_web(xy[:, 0], xy[:, 1])))
        out["geometry"] = shapely.geometry.mapping(geom)
    return out


def _scoped_frame(user: User, *, status=None, category=None, town=None, grid=None, month=None,
                  open_only=False, overdue_on: date | None = None):
    """Cases the user may see, filtered as asked (town operators: their town; field staff: their grid);
    with ``overdue_on``, only those overdue that day."""
    filters = _scope(user, status=status, category=category, town=town, grid=grid, month=month,
                     open_only=open_only)
    if overdue_on:
        filters.pop("open_only")
        return case_store().overdue(overdue_on, **filters)
    return case_store().frame(**filters)


def _scope(user: User, *, status, category, town, grid, month, open_only) -> dict:
    """The filters of a case query as the user may ask them (their town, their grid), checked."""
    town = town_scope(user, town)
    return {"status": status, "category": category, "town": check_town(town) if town else None,
            "grid": grid_scope(user, grid), "month": parse_month(month, field="month") if month else None,
            "open_only": open_only}


def _records(frame) -> list[dict]:
    return [_public(r) for r in frame.astype(object).where(frame.notna(), None).to_dict("records")]


def _visible_case(user: User, case_id: str) -> dict:
    case = case_store().get(case_id)
    require_grid(user, case["grid_id"], case["town"])
    return case


@router.get("/api/cases", summary="案件列表（可筛选、分页；镇操作员只见本镇，保水员只见本网格）")
def list_cases(user: CurrentUser,
               status: Annotated[str | None, Query(description="状态")] = None,
               category: Annotated[str | None, Query(description="类别")] = None,
               town: Annotated[str | None, Query(description="镇")] = None,
               grid: Annotated[str | None, Query(description="网格")] = None,
               month: OptionalMonth = None,
               open_only: Annotated[bool, Query(alias="open", description="只列未结案件")] = False,
               limit: Annotated[int, Query(ge=1, le=1000)] = 100,
               offset: Offset = 0) -> dict:
    count, rows = case_store().page(limit=limit, offset=offset, **_scope(user, status=status, category=category,
                                                                      town=town, grid=grid, month=month,
                                                                      open_only=open_only))
    return {"count": count, "limit": limit, "offset": offset, "items": [_public(r) for r in rows]}


@router.get("/api/cases/geojson", summary="案件点位 GeoJSON（地图用；可按状态、类别、镇、网格、月份、逾期筛选）")
def cases_geojson(user: CurrentUser, status: str | None = None, category: str | None = None, town: str | None = None,
                  grid: str | None = None, month: OptionalMonth = None,
                  open_only: Annotated[bool, Query(alias="open")] = False,
                  overdue: Annotated[bool, Query(description="只列逾期案件（以今天计）")] = False) -> dict:
    frame = _scoped_frame(user, status=status, category=category, town=town, grid=grid, month=month,
                          open_only=open_only, overdue_on=today_local() if overdue else None)
    features = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [r["lon"], r["lat"]]},
                 "properties": {k: v for k, v in r.items() if k != "geometry"}} for r in _records(frame)]
    return {"type": "FeatureCollection", "features": features}


@router.post("/api/cases", status_code=201, summary="登记案件（自动判定网格、镇和保护区）")
def create_case(body: CaseIn, user: CurrentUser) -> dict:
    require(user, "create_case")

    def authorise(placed: dict) -> None:
        if user.role == "field_staff":
            require_grid(user, placed["grid_id"], placed["town"])
        elif user.role == "town_operator":
            require_town(user, placed["town"])

    return _public(case_store().add(user=user.username, authorise=authorise, **body.model_dump()))


@router.get("/api/cases/overdue", summary="逾期案件：逾期天数与应启动的督办措施")
def overdue_cases(user: CurrentUser,
                  on: Annotated[str | None, Query(alias="date", pattern=DAY_PATTERN,
                                                  description="YYYY-MM-DD，默认今天")] = None) -> dict:
    day: date = parse_day(on, field="date") if on else today_local()
    frame = _scoped_frame(user, overdue_on=day)
    return {"date": day.isoformat(), "count": len(frame), "items": _records(frame)}


@router.get("/api/cases/utility-list", summary="水电气热通讯禁止接入清单（在办违建；较上次发布的变化）")
def utility_list(user: CurrentUser,
                 provider: Annotated[str, Query(description="供电、供水、燃气、供热、通讯")] = "供电",
                 format: Format = "json"):
    from datetime import datetime, timezone

    from gis.ledger.utility import block_list, changes, check_provider, last_issue, list_title, sheets

    check_provider(provider)
    town, grid = town_scope(user), grid_scope(user)
    layers = layer_set()
    current = block_list(case_store(), layers.frames.get(VILLAGES.name), town=town, grid=grid)
    previous = last_issue(data_dir(), provider)
    changed = changes(current, previous, case_store())
    if town or grid:  # the last issue was the district's: only the changes of the caller's own cases
        changed = changed.loc[changed["case_id"].isin(case_store().frame(town=town, grid=grid)["case_id"])]
    book = sheets(provider, current, changed, previous, layers.sample)
    return sheets_response(book, format, f"utility-list-{provider}.xlsx", {"provider": provider, "count": len(current)},
                           title=list_title(provider, datetime.now(timezone.utc)))


@router.get("/api/cases/{case_id}/visits", summary="通知书期限内轨迹到场核查（现场 50 米内，逐日）")
def case_visits(case_id: str, user: CurrentUser,
                on: Annotated[str | None, Query(alias="date", description="核查截至日期，默认今天")] = None) -> dict:
    from gis.ledger.visits import case_visits as visits_of
    from gis.ledger.visits import summary

    case = _visible_case(user, case_id)
    day: date = parse_day(on, field="date") if on else today_local()
    result = visits_of(case_store(), data_dir(), case, day)
    return {**result, "summary": summary(result)}


@router.get("/api/cases/{case_id}", summary="案件详情、办理记录与照片")
def get_case(case_id: str, user: CurrentUser) -> dict:
    return _public(_visible_case(user, case_id))


@router.patch("/api/cases/{case_id}", summary="办理案件（须给出所依据的版本）")
def update_case(case_id: str, body: CaseUpdate, user: CurrentUser) -> dict:
    require(user, "update_case")
    _visible_case(user, case_id)
    changes = body.model_dump()
    if changes["status"] in FINAL_STATUSES:
        require(user, "close_case")
    version = changes.pop("version")
    return _public(case_store().update(case_id, user=user.username, expected_version=version, **changes))


@router.post("/api/cases/{case_id}/evidence", status_code=201, summary="上传现场照片（JPEG、PNG、WEBP、TIFF）")
async def upload_evidence(case_id: str, user: CurrentUser,
                          file: Annotated[UploadFile, File(description="照片")]) -> dict:
    require(user, "create_case")
    _visible_case(user, case_id)
    data = await read_limited(file, EVIDENCE_MAX_BYTES)
    return add_evidence(ledger(), evidence_dir(data_dir()), case_id, file.filename or "photo", data,
                        user=user.username)
