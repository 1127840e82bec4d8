"""Money (attachment 4 and the funds rules of attachment 5), in yuan; tables in 万元.

* the year's plan: labour subsidy 1500 yuan a month per staff member, accident
  insurance 200 yuan, operations 2000 yuan and training 200 yuan per staff
  member, publicity 10 万 per town plus 50 万 for the district, emergency
  reserve 300 万 — 4816 万元 for 2150 staff;
* labour subsidy paid quarterly from each town's roster, less 100 yuan per
  counting point deducted in the previous quarter;
* insurance paid once when a person starts; running costs 50 % at the start of
  the year and the balance after the year-end audit; the unused reserve carried
  over to the next year.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from gis.errors import InputError
from gis.ledger.db import Ledger
from gis.schema import (
    EMERGENCY_RESERVE_YUAN,
    FUNDS_COLUMNS,
    INSURANCE_YUAN,
    OPERATIONS_YUAN_PER_STAFF,
    PUBLICITY_YUAN_DISTRICT,
    PUBLICITY_YUAN_PER_TOWN,
    RUNNING_COSTS_ADVANCE,
    SAMPLE_MARK,
    SUBSIDY_YUAN_PER_MONTH,
    SYNTHETIC_PREFIX,
    TOWN_QUOTAS,
    TRAINING_YUAN_PER_STAFF,
    YUAN_PER_POINT,
)

DISTRICT = "区保水委"
TOTAL = "合计"
WAN = 10_000


def annual_plan(staff_by_town: dict[str, int]) -> pd.DataFrame:
    """The year's plan per town, the district's own lines and the total, in yuan (English columns)."""
    rows = []
    for quota in TOWN_QUOTAS:
        n = int(staff_by_town.get(quota.name, 0))
        rows.append({"town": quota.name, "staff": n, "labour_subsidy": n * SUBSIDY_YUAN_PER_MONTH * 12,
                     "insurance": n * INSURANCE_YUAN, "operations": n * OPERATIONS_YUAN_PER_STAFF,
                     "publicity": PUBLICITY_YUAN_PER_TOWN, "training": n * TRAINING_YUAN_PER_STAFF, "reserve": 0})
    rows.append({"town": DISTRICT, "staff": 0, "labour_subsidy": 0, "insurance": 0, "operations": 0,
                 "publicity": PUBLICITY_YUAN_DISTRICT, "training": 0, "reserve": EMERGENCY_RESERVE_YUAN})
    plan = pd.DataFrame(rows)
    money = [c for c in FUNDS_COLUMNS if c not in ("town", "staff", "total")]
    plan["total"] = plan[money].sum(axis=1)
    total = plan.drop(columns="town").sum().to_dict()
    return pd.concat([plan, pd.DataFrame([{"town": TOTAL, **total}])], ignore_index=True)


def in_wan(plan: pd.DataFrame) -> pd.DataFrame:
    """The plan with money in 万元 and Chinese headers, as the office's table shows it."""
    out = plan.copy()
    for column in FUNDS_COLUMNS:
        if column not in ("town", "staff"):
            out[column] = out[column] / WAN
    return out.rename(columns=FUNDS_COLUMNS)


def staff_for_plan(ledger: Ledger, grid_quotas: dict[str, int], year: int) -> tuple[dict[str, int], str]:
    """Staff per town for the plan: the roster's active staff, else the layers' quotas (and which it was)."""
    rows = ledger.query("SELECT town, COUNT(*) AS n FROM staff WHERE status = 'active' AND start_date <= ? "
                        "AND (end_date IS NULL OR end_date >= ?) GROUP BY town",
                        (f"{year}-12-31", f"{year}-01-01"))
    if rows:
        synthetic = ledger.one("SELECT 1 FROM staff WHERE source LIKE ? LIMIT 1", (f"{SYNTHETIC_PREFIX}%",))
        return {r["town"]: r["n"] for r in rows}, "按花名册在岗人数编制" + (f"（示例花名册，{SAMPLE_MARK}）"
                                                                          if synthetic else "")
    return grid_quotas, "花名册尚未导入，按图层中各网格保水员定额编制"


def _quarter_bounds(year: int, quarter: int) -> tuple[date, date]:
    start = date(year, 3 * quarter - 2, 1)
    end = date(year + (quarter == 4), 1 if quarter == 4 else 3 * quarter + 1, 1)
    return start, end


def previous_quarter(year: int, quarter: int) -> tuple[int, int]:
    return (year - 1, 4) if quarter == 1 else (year, quarter - 1)


def _months_on_duty(start: str, end: str | None, q_start: date) -> int:
    """Months of the quarter in which the person was on duty on at least one day."""
    count = 0
    for k in range(3):
        first = date(q_start.year, q_start.month + k, 1)
        last = (pd.Timestamp(first) + pd.offsets.MonthEnd(0)).date()
        if start <= last.isoformat() and (not end or end >= first.isoformat()):
            count += 1
    return count


def quarterly_subsidy(ledger: Ledger, year: int, quarter: int) -> pd.DataFrame:
    """Labour subsidy per town for one quarter: staff-months × 1500, less 100 yuan per counting point
    that took effect in the previous quarter."""
    if quarter not in (1, 2, 3, 4):
        raise InputError("季度应为 1–4", field="quarter", value=quarter)
    q_start, q_end = _quarter_bounds(year, quarter)
    months: dict[str, int] = {}
    heads: dict[str, int] = {}
    for row in ledger.query("SELECT town, start_date, end_date FROM staff WHERE start_date < ?",
                            (q_end.isoformat(),)):
        m = _months_on_duty(row["start_date"], row["end_date"], q_start)
        if m:
            months[row["town"]] = months.get(row["town"], 0) + m
            heads[row["town"]] = heads.get(row["town"], 0) + 1
    p_start, p_end = _quarter_bounds(*previous_quarter(year, quarter))
    points = {r["town"]: r["points"] for r in ledger.query(
        "SELECT s.town, SUM(d.points) AS points FROM deductions d JOIN staff s USING (staff_id) "
        "WHERE d.effective_on >= ? AND d.effective_on < ? GROUP BY s.town", (p_start.isoformat(), p_end.isoformat()))}
    rows = []
    for quota in TOWN_QUOTAS:
        gross = months.get(quota.name, 0) * SUBSIDY_YUAN_PER_MONTH
        lost = int(points.get(quota.name, 0)) * YUAN_PER_POINT
        rows.append({"town": quota.name, "year": year, "quarter": quarter, "staff": heads.get(quota.name, 0),
                     "staff_months": months.get(quota.name, 0), "gross_yuan": gross,
                     "points_previous_quarter": int(points.get(quota.name, 0)), "deducted_yuan": lost,
                     "payable_yuan": gross - lost})
    return pd.DataFrame(rows)


QUARTER_COLUMNS = {
    "town": "镇", "year": "年度", "quarter": "季度", "staff": "保水员(人)", "staff_months": "在岗人月",
    "gross_yuan": "应拨劳务补贴(元)", "points_previous_quarter": "上季度扣分", "deducted_yuan": "扣减(元)",
    "payable_yuan": "实拨(元)",
}


def insurance_due(ledger: Ledger, year: int) -> pd.DataFrame:
    """Insurance paid once per person who starts in ``year``, per town."""
    rows = ledger.query("SELECT town, COUNT(*) AS n FROM staff WHERE substr(start_date, 1, 4) = ? GROUP BY town",
                        (str(year),))
    counts = {r["town"]: r["n"] for r in rows}
    return pd.DataFrame([{"town": q.name, "new_staff": counts.get(q.name, 0),
                          "insurance_yuan": counts.get(q.name, 0) * INSURANCE_YUAN} for q in TOWN_QUOTAS])


def running_costs_schedule(plan: pd.DataFrame, audited_spend: dict[str, float] | None = None) -> pd.DataFrame:
    """Operations, publicity and training: 50 % advanced at the start of the year; after the audit the
    balance up to what was actually spent (nothing is paid beyond the plan); towns not yet audited stay blank."""
    rows = []
    for rec in plan.loc[plan["town"] != TOTAL].to_dict("records"):
        planned = rec["operations"] + rec["publicity"] + rec["training"]
        advance = planned * RUNNING_COSTS_ADVANCE
        spent = None if audited_spend is None or rec["town"] not in audited_spend else float(audited_spend[rec["town"]])
        balance = None if spent is None else max(0.0, min(spent, planned) - advance)
        refund = None if spent is None else max(0.0, advance - spent)
        rows.append({"town": rec["town"], "planned": planned, "advance": advance, "audited_spend": spent,
                     "balance_after_audit": balance, "advance_to_return": refund})
    return pd.DataFrame(rows)


def reserve_carry_over(used_by_year: dict[int, float], first_year: int, year: int) -> pd.DataFrame:
    """The emergency reserve year by year: 300 万 a year plus what was left unused the year before."""
    rows, carried = [], 0.0
    for y in range(first_year, year + 1):
        available = EMERGENCY_RESERVE_YUAN + carried
        used = float(used_by_year.get(y, 0.0))
        left = available - used
        rows.append({"year": y, "allocated": EMERGENCY_RESERVE_YUAN, "carried_in": carried, "available": available,
                     "used": used, "carried_out": left})
        carried = left
    return pd.DataFrame(rows)
