"""The towns' monthly report of new illegal land use and construction (密政发〔2022〕19号 第十五条).

Each town reports the month's patrol findings to the planning bureau by the
20th of the next month; a month with nothing found still needs a zero report
(零报告).  A town reports with :func:`submit`; :func:`monthly_report` shows every
town's findings and whether it reported on time.
"""

from __future__ import annotations

import json
from datetime import date

import pandas as pd

from gis.errors import InputError
from gis.ledger.cases import Cases
from gis.ledger.db import to_utc_text
from gis.localtime import local_date, local_text, next_month_day, now_utc, parse_moment, parse_month
from gis.labels import CASE_LABELS, with_labels
from gis.lookup import check_town
from gis.schema import (
    CASE_COLUMNS,
    CONSTRUCTION,
    MONTHLY_COLUMNS,
    MONTHLY_REPORT_DAY,
    TOWN_LEDGER_SOURCES,
    TOWN_QUOTAS,
)

DETAIL_FIELDS = ("case_id", "town", "grid_id", "subtype", "source", "status", "reported_at", "lon", "lat",
                 "area_m2", "description", "repeat_of")


def findings(cases: Cases, month: str, town: str | None = None) -> pd.DataFrame:
    """The month's construction cases from the towns' own channels (not the satellite clues)."""
    frame = cases.frame(category=CONSTRUCTION, town=town, month=parse_month(month))
    return frame.loc[frame["source"].isin(TOWN_LEDGER_SOURCES)].reset_index(drop=True)


def open_before(cases: Cases, month: str) -> pd.DataFrame:
    """Construction cases from the towns' own channels reported before ``month`` and still open: a
    structure in the ledger since an earlier month that shows on this month's images is no omission."""
    start, _ = parse_month(month)
    frame = cases.frame(category=CONSTRUCTION, open_only=True)
    earlier = frame["reported_at"] < to_utc_text(start)  # stored as UTC text, as the month filter compares
    return frame.loc[earlier & frame["source"].isin(TOWN_LEDGER_SOURCES)].reset_index(drop=True)


def due_date(month: str) -> date:
    return next_month_day(month, MONTHLY_REPORT_DAY)


def submit(cases: Cases, town: str, month: str, *, user: str, at=None) -> dict:
    """Record a town's report for ``month`` (a zero report when it found nothing).

    A second submission corrects the list of cases; the time of the first stays.
    """
    check_town(town)
    start, end = parse_month(month)
    moment = parse_moment(at, field="at")
    if moment < end:
        raise InputError(f"{month} 尚未结束，月报自下月 1 日起报送", field="month", value=month)
    found = findings(cases, month, town)
    values = {"findings": len(found), "case_ids": json.dumps(found["case_id"].tolist(), ensure_ascii=False)}
    with cases.ledger.write(user) as tx:
        tx.upsert("monthly_submissions", {"town": town, "month": month}, values,
                  first_only={"submitted_at": to_utc_text(moment), "submitted_by": user})
    return {"town": town, "month": month, "findings": len(found), "zero_report": found.empty,
            "due": due_date(month).isoformat()}


def _status(submitted_at: str | None, due: date, as_of: date) -> tuple[str, bool]:
    if submitted_at:
        on = local_date(parse_moment(submitted_at, field="submitted_at"))
        return ("按时报送", False) if on <= due else (f"逾期报送（{on.isoformat()}）", True)
    if as_of > due:
        return "逾期未报", True
    return f"未报送（截止 {due.isoformat()}）", False


def monthly_report(cases: Cases, month: str, *, as_of: date | None = None) -> dict[str, pd.DataFrame]:
    """Sheets of the report: per-town summary (Chinese headers) and the cases found."""
    as_of = as_of or local_date(now_utc())
    due = due_date(month)
    found = findings(cases, month)
    submitted = {r["town"]: r["submitted_at"] for r in cases.ledger.query(
        "SELECT town, submitted_at FROM monthly_submissions WHERE month = ?", (month,))}
    rows = []
    for quota in TOWN_QUOTAS:
        mine = found.loc[found["town"] == quota.name]
        status, late = _status(submitted.get(quota.name), due, as_of)
        demolished = mine["demolished_at"].notna()
        rows.append({
            "town": quota.name, "month": month, "findings": len(mine), "demolished": int(demolished.sum()),
            "open": int((~demolished & ~mine["status"].isin(["closed", "dismissed"])).sum()),
            "area_m2": round(float(mine["area_m2"].sum()), 1),
            "zero_report": "是" if mine.empty and quota.name in submitted else "",
            "due": due.isoformat(), "submitted_at": local_text(submitted.get(quota.name)),
            "report_status": status, "late": late,
        })
    summary = pd.DataFrame(rows)
    detail = with_labels(found[list(DETAIL_FIELDS)], CASE_LABELS)
    detail["reported_at"] = detail["reported_at"].map(local_text)
    return {
        "各镇月报": summary.drop(columns=["late"]).rename(columns=MONTHLY_COLUMNS),
        "巡查发现明细": detail.rename(columns=CASE_COLUMNS),
        "逾期未报": summary.loc[summary["late"], ["town", "report_status"]].rename(columns=MONTHLY_COLUMNS),
    }
