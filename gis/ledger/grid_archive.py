"""What a grid's archive (网格档案, 密政发〔2022〕22号) holds, as tables: its staff and their history,
its cases of the year with outcomes, and the month's patrol figures from the daily reports."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from gis.ledger.db import Ledger
from gis.localtime import local_text
from gis.reports.writers import reports_dir
from gis.schema import (
    CASE_STATUSES,
    DAILY_GRID_COLUMNS,
    DAILY_STAFF_COLUMNS,
    DEDUCTION_COUNTING,
    DEDUCTION_KINDS,
    DEDUCTION_STATES,
    DUTIES,
    REEVALUATION_YEARS,
    STAFF_ROLES,
    STAFF_STATUSES,
)

STAFF_HEADERS = ["编号", "姓名", "职务", "到岗", "离岗", "状态", "评聘（最近 / 下次）", "本年扣分", "扣分记录"]
CASE_HEADERS = ["案件编号", "类别", "上报时间", "状态", "结果"]


def _evaluations(ledger: Ledger, staff_id: str, current: str) -> list[str]:
    """Every evaluation date the audit trail has seen for the staff member, oldest first."""
    rows = ledger.query("SELECT old, new FROM audit WHERE table_name = 'staff' AND record_id = ? "
                        "AND field = 'evaluated_on' ORDER BY audit_id", (staff_id,))
    seen = [v for r in rows for v in (r["old"], r["new"]) if v]
    return sorted(set(seen + [current]))


def staff_history(ledger: Ledger | None, grid_id: str, year: int) -> pd.DataFrame:
    """Everyone ever on the grid's roster: joined, left, status, re-evaluations, the year's deductions."""
    if ledger is None:
        return pd.DataFrame(columns=STAFF_HEADERS)
    staff = ledger.query("SELECT * FROM staff WHERE grid_id = ? ORDER BY staff_id", (grid_id,))
    rows = []
    for s in staff:
        found = ledger.query("SELECT kind, points, occurred_on, state FROM deductions WHERE staff_id = ? "
                             "AND occurred_on LIKE ? ORDER BY occurred_on", (s["staff_id"], f"{year}-%"))
        counted = sum(d["points"] for d in found if d["state"] in DEDUCTION_COUNTING)
        evaluations = _evaluations(ledger, s["staff_id"], s["evaluated_on"])
        last = date.fromisoformat(evaluations[-1])
        rows.append([s["staff_id"], s["name"], STAFF_ROLES.get(s["role"], s["role"]), s["start_date"],
                     s["end_date"] or "", STAFF_STATUSES.get(s["status"], s["status"]),
                     f"{'、'.join(evaluations)} / {last.replace(year=last.year + REEVALUATION_YEARS).isoformat()}",
                     f"{counted} 分" if found else "",
                     "；".join(f"{d['occurred_on']} {DEDUCTION_KINDS[d['kind']][1]}（{d['points']} 分，"
                              f"{DEDUCTION_STATES[d['state']]}）" for d in found)])
    return pd.DataFrame(rows, columns=STAFF_HEADERS)


def cases_of_year(ledger: Ledger | None, grid_id: str, year: int) -> pd.DataFrame:
    """The grid's cases reported in the year, with where each stands or how it ended."""
    if ledger is None:
        return pd.DataFrame(columns=CASE_HEADERS)
    rows = []
    for c in ledger.query("SELECT * FROM cases WHERE grid_id = ? AND reported_at >= ? AND reported_at < ? "
                          "ORDER BY reported_at, case_id", (grid_id, f"{year - 1}-12-31T16:00:00Z",
                                                            f"{year}-12-31T16:00:00Z")):
        if c["demolished_at"]:
            outcome = f"{local_text(c['demolished_at'])[:10]} {'强制' if c['demolished_by'] == 'forced' else '自行'}拆除"
        elif c["closed_at"]:
            outcome = f"{local_text(c['closed_at'])[:10]} {CASE_STATUSES.get(c['status'], c['status'])}"
        elif c["deadline"]:
            outcome = f"在办，期限 {c['deadline']}"
        else:
            outcome = "在办"
        rows.append([c["case_id"], DUTIES.short.get(c["category"], c["category"]),
                     local_text(c["reported_at"]), CASE_STATUSES.get(c["status"], c["status"]), outcome])
    return pd.DataFrame(rows, columns=CASE_HEADERS)


def _daily(data_dir: Path, day: str, name: str, columns: dict) -> pd.DataFrame | None:
    path = reports_dir(data_dir) / f"tracks-daily-{day}-{name}.csv"
    if not path.exists():
        return None
    return pd.read_csv(path, encoding="utf-8-sig", dtype=str).rename(columns={v: k for k, v in columns.items()})


def patrol_month(data_dir: Path | None, grid_id: str, month: str) -> pd.DataFrame:
    """Per day of the month with a daily report: the grid's patrol figures and its staff's evidence."""
    rows = []
    if data_dir is None:
        return pd.DataFrame()
    for day in pd.date_range(f"{month}-01", periods=31).strftime("%Y-%m-%d"):
        if not day.startswith(month):
            break
        grids = _daily(data_dir, day, "grids", DAILY_GRID_COLUMNS)  # not a layer: the daily report's file
        if grids is None:
            continue
        mine = grids[grids["grid_id"] == grid_id]
        if mine.empty:
            continue
        g = mine.iloc[0]
        staff = _daily(data_dir, day, "staff", DAILY_STAFF_COLUMNS)
        flagged = 0
        if staff is not None and "fake_score" in staff:
            own = staff[staff["own_grid"] == grid_id]
            flagged = int((pd.to_numeric(own["fake_score"], errors="coerce").fillna(0) > 0).sum())
        rows.append({"日期": day, "到岗人数": int(g["staff_present"]), "巡查里程(公里)": float(g["patrol_km"]),
                     "巡查时长(小时)": float(g["hours_inside"]), "无人时段(小时)": int(g["uncovered_hours"]),
                     "50米覆盖率": float(g["coverage_50m"]),
                     "界桩": f"{g['markers_passed']}/{g['markers_total']}",
                     "虚假巡查疑点(人)": flagged})
    return pd.DataFrame(rows)
