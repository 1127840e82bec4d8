"""Relocation plans per village, their subsidies, payment schedule, calendar and the two statistical tables.

Subsidies (yuan): hazard-area relocation gets 27,000 per person (city), 30,000
per new house (district), 60,000 per household for the new site (city),
10,000 per old house demolished (city) and 20,000 per house meeting the
seismic and energy-saving standard (city).  Poor-living-conditions
relocation gets the same except the district's 30,000 per house.

City money is paid 30 % at the start, then with the works up to 80 %, the
last 20 % after acceptance.  Works progress is the share of households whose
house structure is complete (完成主体), as the monthly table reports it.
"""

from __future__ import annotations

from datetime import date

import geopandas as gpd
import pandas as pd

from gis.errors import InputError, NotFound
from gis.ledger.db import Ledger
from gis.localtime import parse_day
from gis.schema import (
    BUILDING_FORMS,
    DISTRICT_ONLY_FOR,
    PLAN_TABLE_COLUMNS,
    PROGRESS_TABLE_COLUMNS,
    RELOCATION_KINDS,
    RELOCATION_MODES,
    RELOCATION_PAYMENTS,
    RELOCATION_SUBSIDIES,
)

DISTRICT_NAME = "密云区"
COUNTS = ("natural_villages", "households", "people", "hazard_households", "hazard_people", "low_income_households",
          "low_income_people", "new_houses", "old_houses", "standard_houses")
COUNT_OF_RULE = {"per_person": "people", "per_new_house": "new_houses", "per_household_site": "households",
                 "per_old_house": "old_houses", "per_standard_house": "standard_houses"}
CENTRALISED = ("off_site", "merge", "rebuild")


def _check_plan(plan: dict) -> dict:
    if plan.get("kind") not in RELOCATION_KINDS:
        raise InputError(f"搬迁类别应为 {'、'.join(RELOCATION_KINDS)}", field="kind", value=plan.get("kind"))
    if plan.get("mode") not in RELOCATION_MODES:
        raise InputError(f"搬迁形式应为 {'、'.join(RELOCATION_MODES)}", field="mode", value=plan.get("mode"))
    if plan.get("building_form", "two_storey") not in BUILDING_FORMS:
        raise InputError(f"房屋建设形式应为 {'、'.join(BUILDING_FORMS)}", field="building_form")
    for field in ("town", "village"):
        if not str(plan.get(field) or "").strip():
            raise InputError("不能为空", field=field)
    out = dict(plan)
    for field in COUNTS:
        try:
            value = int(plan.get(field) or 0)
        except (TypeError, ValueError):
            raise InputError(f"应为整数，收到 {plan.get(field)!r}", field=field) from None
        if value < 0:
            raise InputError("不能为负", field=field, value=value)
        out[field] = value
    for part, whole in (("hazard_households", "households"), ("hazard_people", "people"),
                        ("low_income_households", "households"), ("low_income_people", "people"),
                        ("standard_houses", "new_houses")):
        if out[part] > out[whole]:
            raise InputError(f"{part} ({out[part]}) 大于 {whole} ({out[whole]})", field=part, value=out[part])
    if out["households"] == 0 or out["people"] < out["households"]:
        raise InputError("户数应大于 0，人数不少于户数", field="people")
    return out


def add_plan(ledger: Ledger, *, user: str, plan_year: int, **fields) -> dict:
    """Record a village's relocation plan for ``plan_year``; returns it with its id."""
    plan = _check_plan({"building_form": "two_storey", "natural_villages": 1, **fields})
    if fields.get("town_plan_on"):
        plan["town_plan_on"] = parse_day(fields["town_plan_on"], field="town_plan_on").isoformat()
    with ledger.write(user) as tx:
        n = tx.one("SELECT COUNT(*) AS n FROM relocation_plans WHERE plan_year = ?", (plan_year,))["n"]
        plan_id = f"BQ{plan_year}-{n + 1:03d}"
        values = {"plan_id": plan_id, "plan_year": int(plan_year), **{k: plan.get(k) for k in (
            "town", "village", "kind", "mode", "building_form", "town_plan_on", *COUNTS)}}
        tx.insert("relocation_plans", plan_id, values)
    return values


def get_plan(ledger: Ledger, plan_id: str) -> dict:
    row = ledger.one("SELECT * FROM relocation_plans WHERE plan_id = ?", (plan_id,))
    if row is None:
        raise NotFound(f"搬迁计划 {plan_id} 不存在", field="plan_id", value=plan_id)
    return dict(row)


def subsidies(plan: dict) -> pd.DataFrame:
    """Each subsidy line of a plan: rule, count, yuan each, payer, amount."""
    rows = []
    for rule, unit, each, payer, purpose in RELOCATION_SUBSIDIES:
        if DISTRICT_ONLY_FOR.get(rule, plan["kind"]) != plan["kind"]:
            continue
        count = int(plan[COUNT_OF_RULE[rule]])
        rows.append({"rule": rule, "unit": unit, "purpose": purpose, "payer": payer, "count": count,
                     "yuan_each": each, "amount_yuan": count * each})
    return pd.DataFrame(rows)


def payable_city_share(progress: float, accepted: bool, started: bool = True) -> float:
    """Share of the city money payable: 30 % at the start, then with the works up to 80 %, 100 % on acceptance."""
    first, middle, last = (share for share, _ in RELOCATION_PAYMENTS)
    if accepted:
        return last
    if not started:
        return 0.0
    return max(first, min(middle, float(progress)))


def payments(plan: dict, progress: float = 0.0, accepted: bool = False, started: bool = True) -> dict:
    """City and district money of a plan, and what of the city money is payable now."""
    lines = subsidies(plan)
    city = int(lines.loc[lines["payer"] == "市级", "amount_yuan"].sum())
    district = int(lines.loc[lines["payer"] == "区级", "amount_yuan"].sum())
    share = payable_city_share(progress, accepted, started)
    return {"city_yuan": city, "district_yuan": district, "total_yuan": city + district,
            "city_share_payable": share, "city_payable_yuan": round(city * share)}


def calendar(plan_year: int) -> list[tuple[str, str, date]]:
    """(key, Chinese milestone, due date) for a plan year Y (year 1 of the works)."""
    y = plan_year
    return [
        ("town_plan", "镇上报年度搬迁计划", date(y - 1, 8, 31)),
        ("district_plan", "区编制全区年度搬迁计划", date(y - 1, 9, 30)),
        ("plan_issued", "下达年度搬迁计划", date(y - 1, 10, 31)),
        ("ready_to_build", "具备开工条件", date(y, 12, 31)),
        ("self_check_1", "年度自查报告", date(y, 11, 30)),
        ("structure_done", "完成工程主体", date(y + 1, 12, 31)),
        ("self_check_2", "年度自查报告", date(y + 1, 11, 30)),
        ("moved_in", "农民入住", date(y + 2, 10, 15)),
        ("self_check_3", "年度自查报告", date(y + 2, 11, 30)),
    ]


def latest_progress(ledger: Ledger, plan_id: str, until_month: str | None = None) -> dict | None:
    row = ledger.one("SELECT * FROM relocation_progress WHERE plan_id = ? AND (? IS NULL OR month <= ?) "
                     "ORDER BY month DESC LIMIT 1", (plan_id, until_month, until_month))
    return dict(row) if row else None


def late_items(ledger: Ledger, plan: dict, as_of: date) -> list[str]:
    """Milestones of a plan that are past due and not met on ``as_of``."""
    progress = latest_progress(ledger, plan["plan_id"]) or {}
    met = {
        "town_plan": plan.get("town_plan_on") and plan["town_plan_on"] <= date(plan["plan_year"] - 1, 8, 31).isoformat(),
        "ready_to_build": progress.get("started", 0) >= 1,
        "structure_done": progress.get("structure_done", 0) >= 1,
        "moved_in": progress.get("moved_in", 0) >= 1,
    }
    late = [f"{name}（{due.isoformat()}）" for key, name, due in calendar(plan["plan_year"])
            if key in met and as_of > due and not met[key]]
    month_before = (pd.Timestamp(as_of).replace(day=1) - pd.Timedelta(days=1)).strftime("%Y-%m")
    works_start = f"{plan['plan_year']}-01"
    if works_start <= month_before and not met["moved_in"] and \
            ledger.one("SELECT 1 FROM relocation_progress WHERE plan_id = ? AND month = ?",
                       (plan["plan_id"], month_before)) is None:
        late.append(f"{month_before} 月进度表未报")
    return late


def record_progress(ledger: Ledger, *, user: str, plan_id: str, month: str, started: float = 0.0,
                    structure_done: float = 0.0, moved_in: float = 0.0, old_houses_demolished: int = 0,
                    accepted_on: str | None = None, problems: str = "") -> dict:
    """The month's progress of one plan (shares of its households, 0–1)."""
    plan = get_plan(ledger, plan_id)
    shares = {"started": started, "structure_done": structure_done, "moved_in": moved_in}
    for field, value in shares.items():
        if not 0 <= float(value) <= 1:
            raise InputError("应为 0 到 1 之间的比例", field=field, value=value)
    if not started >= structure_done >= moved_in:
        raise InputError("进度应满足 开工 ≥ 完成主体 ≥ 入住", field="structure_done")
    if not 0 <= int(old_houses_demolished) <= plan["old_houses"]:
        raise InputError(f"旧房拆除户数应在 0 到 {plan['old_houses']} 之间", field="old_houses_demolished")
    values = {**{k: float(v) for k, v in shares.items()},
              "old_houses_demolished": int(old_houses_demolished),
              "accepted_on": parse_day(accepted_on, field="accepted_on").isoformat() if accepted_on else None,
              "problems": (problems or "")[:2000]}
    key = {"plan_id": plan_id, "month": month}
    with ledger.write(user) as tx:
        tx.upsert("relocation_progress", key, values)
    return {**key, **values}


def plans(ledger: Ledger, year: int) -> pd.DataFrame:
    return pd.DataFrame([dict(r) for r in ledger.query(
        "SELECT * FROM relocation_plans WHERE plan_year = ? ORDER BY town, village", (year,))])


def _with_total(frame: pd.DataFrame, columns: tuple[str, ...], numeric: list[str]) -> pd.DataFrame:
    total = {c: "" for c in columns}
    total["区"] = "合计"
    for column in numeric:
        values = pd.to_numeric(frame[column], errors="coerce") if len(frame) else pd.Series(dtype=float)
        total[column] = int(values.sum()) if len(values) else 0
    return pd.concat([frame, pd.DataFrame([total])], ignore_index=True)[list(columns)]


def plan_table(ledger: Ledger, year: int) -> pd.DataFrame:
    """Attachment 1: the year's relocation plan table (密云区山区农民搬迁计划统计表)."""
    rows = []
    for p in plans(ledger, year).to_dict("records"):
        tick = {RELOCATION_MODES[m]: ("√" if p["mode"] == m else "") for m in CENTRALISED}
        scattered = p["mode"] == "scattered"
        rows.append({"区": DISTRICT_NAME, "乡镇": p["town"], "村名": p["village"], "涉及自然村数": p["natural_villages"],
                     "户数": p["households"], "人数": p["people"], "地质灾害易发区户数": p["hazard_households"],
                     "地质灾害易发区人数": p["hazard_people"], "低收入农户户数": p["low_income_households"],
                     "低收入农户人数": p["low_income_people"], **tick,
                     "分散搬迁户数": p["households"] if scattered else 0,
                     "分散搬迁人数": p["people"] if scattered else 0})
    frame = pd.DataFrame(rows, columns=list(PLAN_TABLE_COLUMNS))
    numeric = [c for c in PLAN_TABLE_COLUMNS[3:] if c not in ("易地搬迁", "集并搬迁", "规划重建")]
    return _with_total(frame, PLAN_TABLE_COLUMNS, numeric)


def progress_table(ledger: Ledger, month: str) -> pd.DataFrame:
    """Attachment 2: the month's progress table (密云区山区农民搬迁工程实施进度统计表); shares as %."""
    year = int(month[:4])
    rows = []
    for p in pd.concat([plans(ledger, y) for y in (year - 2, year - 1, year)]).to_dict("records"):
        done = latest_progress(ledger, p["plan_id"], month)
        if done is None:
            continue
        scattered = p["mode"] == "scattered"
        forms = {BUILDING_FORMS[f]: ("√" if p["building_form"] == f else "") for f in BUILDING_FORMS}
        rows.append({"区": DISTRICT_NAME, "乡镇": p["town"], "村名": p["village"], "户数": p["households"],
                     "人数": p["people"], "集中": "" if scattered else "√", "分散": "√" if scattered else "", **forms,
                     "开工建设": f"{done['started']:.0%}", "完成主体": f"{done['structure_done']:.0%}",
                     "农民入住": f"{done['moved_in']:.0%}", "旧房拆除户数": done["old_houses_demolished"],
                     "存在的主要问题": done["problems"]})
    frame = pd.DataFrame(rows, columns=list(PROGRESS_TABLE_COLUMNS))
    return _with_total(frame, PROGRESS_TABLE_COLUMNS, ["户数", "人数", "旧房拆除户数"])


def hazard_villages(villages: gpd.GeoDataFrame, hazard_zones: gpd.GeoDataFrame) -> pd.DataFrame:
    """Villages whose point lies in a hazard zone, with households and people where known."""
    joined = gpd.sjoin(villages, hazard_zones[["zone_id", "hazard_type", "level", "geometry"]], predicate="within")
    columns = ["code", "name", "town", "households", "population", "zone_id", "hazard_type", "level", "source"]
    return pd.DataFrame(joined[columns]).drop_duplicates("code").sort_values(["town", "name"]).reset_index(drop=True)
