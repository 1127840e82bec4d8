"""The office tables of staff, assessment and money, as sheets (Chinese headers) for Excel, CSV or JSON."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from gis.layers import gpkg
from gis.ledger.db import Ledger
from gis.schema import DEDUCTION_KINDS, DEDUCTION_STATES, GRIDS
from gis.staff import funds
from gis.staff.assessment import ASSESSMENT_COLUMNS, town_assessment
from gis.staff.deductions import COLUMNS as DEDUCTION_COLUMNS
from gis.staff.deductions import deductions, staff_points

STAFF_POINT_COLUMNS = {"staff_id": "保水员编号", "town": "镇", "grid_id": "网格编号", "points": "年度扣分",
                       "pending_appeals": "申诉中", "failed": "考核不合格（辞退）"}


def grid_quotas(layers: Path) -> dict[str, int]:
    grids = gpkg.read_layer(layers, GRIDS.name, columns=["town", "staff_quota"], read_geometry=False)
    return grids.groupby("town")["staff_quota"].sum().astype(int).to_dict()


RUNNING_COLUMNS = {"town": "镇", "planned": "核定(元)", "advance": "年初预拨50%(元)", "audited_spend": "审计认定支出(元)",
                   "balance_after_audit": "审计后拨付(元)", "advance_to_return": "应退回预拨(元)"}
RESERVE_COLUMNS = {"year": "年度", "allocated": "当年安排(元)", "carried_in": "上年结转(元)", "available": "可用(元)",
                   "used": "使用(元)", "carried_out": "结转下年(元)"}


def funds_sheets(ledger: Ledger, layers: Path, year: int, *, audited_spend: dict[str, float] | None = None,
                 reserve_used: dict[int, float] | None = None) -> tuple[dict[str, pd.DataFrame], str]:
    """The year's plan, the four quarters' labour subsidy, insurance, running-cost payments (the balance once
    ``audited_spend`` is known) and the reserve (with ``reserve_used`` per year); and the basis of the plan."""
    staff, basis = funds.staff_for_plan(ledger, grid_quotas(layers), year)
    plan = funds.annual_plan(staff)
    quarters = pd.concat([funds.quarterly_subsidy(ledger, year, q) for q in (1, 2, 3, 4)], ignore_index=True)
    running = funds.running_costs_schedule(plan, audited_spend)
    if audited_spend is None:
        running = running.drop(columns=["audited_spend", "balance_after_audit", "advance_to_return"])
    used = reserve_used or {}
    reserve = funds.reserve_carry_over(used, min([year, *used]), year)
    sheets = {
        "年度资金安排": funds.in_wan(plan),
        "季度劳务补贴": quarters.rename(columns=funds.QUARTER_COLUMNS),
        "意外伤害保险": funds.insurance_due(ledger, year).rename(
            columns={"town": "镇", "new_staff": "当年新上岗(人)", "insurance_yuan": "一次性拨付保险(元)"}),
        "运行保障费拨付": running.rename(columns=RUNNING_COLUMNS),
        "应急费用结转": reserve.rename(columns=RESERVE_COLUMNS),
    }
    return sheets, basis


def quarterly_sheets(ledger: Ledger, year: int, quarter: int) -> dict[str, pd.DataFrame]:
    return {f"{year}年第{quarter}季度劳务补贴": funds.quarterly_subsidy(ledger, year, quarter)
            .rename(columns=funds.QUARTER_COLUMNS)}


def readable_deductions(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame[list(DEDUCTION_COLUMNS)].copy()
    out["kind"] = out["kind"].map(lambda k: DEDUCTION_KINDS[k][1])
    out["state"] = out["state"].map(DEDUCTION_STATES)
    return out.rename(columns=DEDUCTION_COLUMNS)


def assessment_sheets(ledger: Ledger, year: int) -> dict[str, pd.DataFrame]:
    """Town scores, staff points (with the dismissal list) and every deduction of the year."""
    points = staff_points(ledger, year)
    return {
        "各镇考核": town_assessment(ledger, year).rename(columns=ASSESSMENT_COLUMNS),
        "保水员扣分": points.assign(failed=points["failed"].map({True: "是", False: ""}))
        .rename(columns=STAFF_POINT_COLUMNS),
        "扣分明细": readable_deductions(deductions(ledger, year=year)),
    }
