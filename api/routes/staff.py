"""Staff, assessment, money and relocation over HTTP: each office table as JSON or Excel, and the writes."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, UploadFile
from pydantic import BaseModel, Field

from api.auth import CurrentUser
from api.state import layer_set, layers_path, ledger
from api.tables import Format, sheets_response, town_rows
from api.types import DAY_PATTERN, Count, Offset, OptionalDay, OptionalMonth, RecordId, YearQuery
from api.types import Year as PlanYear
from api.uploads import safe_name, save_limited
from gis.layers import gpkg
from gis.auth.rights import grid_scope, require, require_town, town_scope
from gis.ledger.location import to_storage_geometry
from gis.ledger.staff import deduction_town, staff_town
from gis.localtime import parse_day, parse_month, today_local
from gis.relocation.plans import add_plan, get_plan, payments, record_progress, subsidies
from gis.reports.relocation import relocation_sheets
from gis.relocation.site import check_site
from gis.staff.codes import roster_from_grids
from gis.schema import DEDUCTION_KINDS, GRIDS, STAFF_COLUMNS, report_title
from gis.staff import deductions as staff_deductions
from gis.reports.staff import assessment_sheets, funds_sheets, quarterly_sheets
from gis.staff.roster import load_roster, read_roster_file, reevaluations_due, roster

router = APIRouter(tags=["staff 保水员、考核与资金"])
MAX_ROSTER_BYTES = 20 * 1024 * 1024
Year = YearQuery


@router.get("/api/staff", summary="花名册（按镇、网格筛选）")
def list_staff(user: CurrentUser, town: str | None = None, grid_id: str | None = None,
               limit: Annotated[int, Query(ge=1, le=5000)] = 500, offset: Offset = 0) -> dict:
    frame, basis = roster(ledger()), "花名册"
    if frame.empty:  # no roster loaded yet: the codes the grids' quotas give
        frame = roster_from_grids(layer_set().frames[GRIDS.name]).assign(name="", role="member")
        frame.loc[frame["staff_id"].str.endswith("-01"), "role"] = "leader"
        basis = "花名册尚未导入：按网格定额列出编号"
        frame = frame.reindex(columns=list(STAFF_COLUMNS))
    town, grid_id = town_scope(user, town), grid_scope(user, grid_id)
    if town:
        frame = frame.loc[frame["town"] == town]
    if grid_id:
        frame = frame.loc[frame["grid_id"] == grid_id]
    page = frame.iloc[offset:offset + limit][list(STAFF_COLUMNS)]
    return {"count": len(frame), "basis": basis,
            "items": page.astype(object).where(page.notna(), None).to_dict("records")}


@router.post("/api/staff/roster", summary="导入花名册（.xlsx / .csv；有误则整体不导入）")
async def import_roster(user: CurrentUser, file: Annotated[UploadFile, File(description="花名册")]) -> dict:
    require(user, "manage_staff")
    name = safe_name(file.filename)
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / name
        await save_limited(file, target, MAX_ROSTER_BYTES)
        frame = read_roster_file(target)
    grids = gpkg.read_layer(layers_path(), GRIDS.name, columns=["grid_id", "town"], read_geometry=False)
    count = load_roster(ledger(), frame, dict(zip(grids["grid_id"], grids["town"])), user=user.username,
                        source=f"import: {name}", file=name)
    return {"file": name, "staff": count}


@router.get("/api/staff/reevaluations", summary="三年一评：90 天内到期的保水员")
def reevaluations(user: CurrentUser, on: Annotated[str | None, Query(
        alias="date", pattern=DAY_PATTERN, description="YYYY-MM-DD，默认今天")] = None) -> dict:
    require(user, "read_reports")
    frame = reevaluations_due(ledger(), parse_day(on, field="date") if on else today_local())
    if town_scope(user):
        frame = frame.loc[frame["town"] == user.town]
    return {"count": len(frame), "items": frame[["staff_id", "town", "grid_id", "evaluated_on", "due_on"]]
            .to_dict("records")}


class DeductionIn(BaseModel):
    staff_id: str
    kind: Annotated[str, Field(description="；".join(f"{k} {v[1]} −{v[0]}" for k, v in DEDUCTION_KINDS.items()))]
    occurred_on: str
    evidence: Annotated[str, Field(max_length=2000)]
    case_id: str | None = None


class Appeal(BaseModel):
    note: Annotated[str, Field(max_length=2000)]


class Decision(BaseModel):
    upheld: bool
    on: str | None = None


def _staff_town(staff_id: str) -> str | None:
    return staff_town(ledger(), staff_id)


def _deduction_town(deduction_id: int) -> str | None:
    return deduction_town(ledger(), deduction_id)


@router.post("/api/staff/deductions", status_code=201, summary="记录扣分")
def add_deduction(body: DeductionIn, user: CurrentUser) -> dict:
    require(user, "record_deduction")
    if user.role == "town_operator":
        require_town(user, _staff_town(body.staff_id))
    return staff_deductions.record(ledger(), user=user.username, **body.model_dump())


@router.post("/api/staff/deductions/{deduction_id}/appeal", summary="申诉（申诉期间不计分）")
def appeal(deduction_id: RecordId, body: Appeal, user: CurrentUser) -> dict:
    require(user, "record_deduction")
    if user.role == "town_operator":
        require_town(user, _deduction_town(deduction_id))
    return staff_deductions.appeal(ledger(), deduction_id, user=user.username, note=body.note)


@router.post("/api/staff/deductions/{deduction_id}/decision", summary="处理申诉：维持或撤销（区保水办）")
def decide(deduction_id: RecordId, body: Decision, user: CurrentUser) -> dict:
    require(user, "decide_appeal")
    return staff_deductions.decide(ledger(), deduction_id, user=user.username, upheld=body.upheld, on=body.on)


@router.get("/api/staff/dismissals", summary="年度累计扣分达 3 分应辞退的保水员")
def dismissals(year: Year, user: CurrentUser) -> dict:
    require(user, "read_reports")
    frame = staff_deductions.dismissal_list(ledger(), year)
    if town_scope(user):
        frame = frame.loc[frame["town"] == user.town]
    return {"year": year, "count": len(frame), "items": frame.to_dict("records")}


@router.get("/api/reports/funds", summary="年度资金安排、季度劳务补贴、保险与运行保障费拨付")
def funds(year: Year, user: CurrentUser, format: Format = "json"):
    require(user, "read_reports")
    sheets, basis = funds_sheets(ledger(), layers_path(), year)
    return sheets_response(town_rows(sheets, town_scope(user)), format, f"funds-{year}.xlsx",
                           {"year": year, "basis": basis}, title=report_title("funds", year=year))


@router.get("/api/reports/subsidy", summary="某季度各镇劳务补贴拨付（扣减上季度扣分）")
def subsidy(year: Year, user: CurrentUser, quarter: Annotated[int, Query(ge=1, le=4)], format: Format = "json"):
    require(user, "read_reports")
    return sheets_response(town_rows(quarterly_sheets(ledger(), year, quarter), town_scope(user)), format,
                           f"subsidy-{year}-Q{quarter}.xlsx", {"year": year, "quarter": quarter},
                           title=report_title("subsidy", year=year, quarter=quarter))


@router.get("/api/reports/assessment", summary="各镇年度考核、保水员扣分与辞退名单")
def assessment(year: Year, user: CurrentUser, format: Format = "json"):
    require(user, "read_reports")
    return sheets_response(town_rows(assessment_sheets(ledger(), year), town_scope(user)), format,
                           f"assessment-{year}.xlsx", {"year": year}, title=report_title("assessment", year=year))


class PlanIn(BaseModel):
    plan_year: PlanYear
    town: str
    village: str
    kind: str
    mode: str
    households: Count
    people: Count
    hazard_households: Count = 0
    hazard_people: Count = 0
    low_income_households: Count = 0
    low_income_people: Count = 0
    new_houses: Count
    old_houses: Count
    standard_houses: Count = 0
    building_form: str = "two_storey"
    natural_villages: Count = 1
    town_plan_on: str | None = None


class ProgressIn(BaseModel):
    month: str
    started: Annotated[float, Field(ge=0, le=1)] = 0.0
    structure_done: Annotated[float, Field(ge=0, le=1)] = 0.0
    moved_in: Annotated[float, Field(ge=0, le=1)] = 0.0
    old_houses_demolished: Count = 0
    accepted_on: str | None = None
    problems: Annotated[str, Field(max_length=2000)] = ""


@router.post("/api/relocation/plans", status_code=201, summary="登记村搬迁计划")
def create_plan(body: PlanIn, user: CurrentUser) -> dict:
    require(user, "plan_relocation")
    if user.role == "town_operator":
        require_town(user, body.town)
    plan = add_plan(ledger(), user=user.username, **body.model_dump())
    return {**plan, **payments(plan)}


@router.get("/api/relocation/plans/{plan_id}", summary="搬迁计划、补助明细与可拨付资金")
def plan_detail(plan_id: str, user: CurrentUser) -> dict:
    require(user, "read_reports")
    plan = get_plan(ledger(), plan_id)
    if user.role == "town_operator":
        require_town(user, plan["town"])
    plan.pop("site_geometry", None)
    return {**plan, "subsidies": subsidies(plan).to_dict("records"), **payments(plan)}


@router.post("/api/relocation/plans/{plan_id}/progress", status_code=201, summary="填报月度进度")
def add_progress(plan_id: str, body: ProgressIn, user: CurrentUser) -> dict:
    require(user, "plan_relocation")
    if user.role == "town_operator":
        require_town(user, get_plan(ledger(), plan_id)["town"])
    parse_month(body.month, field="month")
    return record_progress(ledger(), user=user.username, plan_id=plan_id, **body.model_dump())


@router.get("/api/reports/relocation", summary="附件 1 计划统计表、附件 2 实施进度统计表、补助与滞后事项")
def relocation_tables(year: Year, user: CurrentUser, month: OptionalMonth = None, as_of: OptionalDay = None,
                      format: Format = "json"):
    require(user, "read_reports")
    if month:
        parse_month(month, field="month")
    day = parse_day(as_of, field="as_of") if as_of else today_local()
    return sheets_response(town_rows(relocation_sheets(ledger(), year, month, day), town_scope(user)), format,
                           f"relocation-{year}.xlsx", {"year": year, "month": month},
                           title=report_title("relocation", year=year))


class Site(BaseModel):
    geometry: Annotated[dict[str, Any], Field(description="GeoJSON 面")]
    crs: str | None = None


@router.post("/api/relocation/site-check", summary="新址核查：与一级保护区、河道管护范围、隐患区的重叠")
def site_check(body: Site, user: CurrentUser) -> dict:
    require(user, "read_reports")
    site = to_storage_geometry(geometry=body.geometry, crs=body.crs)
    result = check_site(layers_path(), site)
    return {"refused": result.refused, "verdict": result.verdict(), "area_m2": result.area_m2,
            "conflicts": result.conflicts.to_dict("records")}
