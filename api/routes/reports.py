"""``/api/reports/...``: the office reports as JSON or Excel, and the report files other jobs wrote."""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import FileResponse
from pydantic import BaseModel

from api.auth import CurrentUser
from api.state import case_store, data_dir, grid_index
from api.tables import Format, sheets_response, town_rows
from api.types import Month, OptionalDay
from api.uploads import safe_name, save_limited
from gis.auth.rights import require, require_town, town_scope
from gis.errors import NotFound
from gis.ledger.monthly import monthly_report, submit
from gis.ledger.reconcile import read_clues, reconcile
from gis.ledger.visits import month_sheet
from gis.localtime import parse_day, parse_month, today_local
from gis.reports.writers import reports_dir
from gis.schema import report_title

router = APIRouter(tags=["reports 报表"])
MAX_CLUES_BYTES = 50 * 1024 * 1024


def reports_folder() -> Path:
    return reports_dir(data_dir())


@router.get("/api/reports/monthly", summary="各镇违法建设巡查月报（零报告、逾期未报）")
def monthly(user: CurrentUser, month: Month,
            as_of: OptionalDay = None,
            format: Format = "json"):
    require(user, "read_reports")
    parse_month(month, field="month")
    sheets = monthly_report(case_store(), month, as_of=parse_day(as_of, field="as_of") if as_of else None)
    sheets["通知书期限到场核查"] = month_sheet(case_store(), data_dir(), parse_month(month, field="month"),
                                       parse_day(as_of, field="as_of") if as_of else today_local())
    sheets = town_rows(sheets, town_scope(user))
    return sheets_response(sheets, format, f"monthly-{month}.xlsx", {"month": month},
                           title=report_title("monthly", month=month))


class Submission(BaseModel):
    town: str
    month: str
    at: str | None = None


@router.post("/api/reports/monthly/submit", status_code=201, summary="镇报送月报（无发现即零报告）")
def submit_monthly(body: Submission, user: CurrentUser) -> dict:
    require(user, "submit_monthly")
    require_town(user, body.town)
    return submit(case_store(), body.town, body.month, user=user.username, at=body.at)


@router.post("/api/reports/reconcile", summary="卫片线索与各镇巡查台账比对")
async def reconcile_clues(user: CurrentUser, file: Annotated[UploadFile, File(description="卫片线索图斑（GeoJSON、GPKG、zip 的 Shapefile）")],
                          month: Annotated[str, Form(description="YYYY-MM")],
                          tolerance: Annotated[float, Form(ge=0, le=500)] = 30.0,
                          threshold: Annotated[float, Form(ge=0, le=1)] = 0.8,
                          crs: Annotated[str | None, Form()] = None,
                          format: Annotated[Literal["json", "xlsx"], Form()] = "json"):
    require(user, "reconcile")
    parse_month(month, field="month")
    name = safe_name(file.filename)
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / f"{uuid.uuid4().hex[:8]}-{name}"
        await save_limited(file, target, MAX_CLUES_BYTES)
        clues = read_clues(target, crs)
    result = reconcile(case_store(), grid_index(), clues, month, tolerance_m=tolerance, threshold=threshold)
    return sheets_response(result.sheets(), format, f"reconcile-{month}.xlsx", {"month": month},
                           title=report_title("reconcile", month=month))


@router.get("/api/reports/files", summary="已生成的报表文件（轨迹日报、月报、比对……）")
def report_files(user: CurrentUser) -> dict:
    require(user, "district_files")
    folder = reports_folder()
    files = sorted(folder.glob("*.*")) if folder.exists() else []
    return {"files": [{"name": f.name, "bytes": f.stat().st_size, "url": f"/api/reports/files/{quote(f.name)}"}
                      for f in files if not f.name.startswith(".")]}


@router.get("/api/reports/files/{name}", summary="下载一个报表文件")
def report_file(name: str, user: CurrentUser):
    require(user, "district_files")
    path = reports_folder() / safe_name(name)
    if safe_name(name) != name or not path.is_file():
        raise NotFound(f"报表文件 {name} 不存在", field="name", value=name)
    return FileResponse(path, filename=name)
