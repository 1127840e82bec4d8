"""Deadlines proven by tracks: who came to a construction case's site while its deadlines ran.

密政发〔2022〕19号: a structure under construction gets a stop (or correction) order, 3 days to be
removed by the party, then 7 days for the town to demolish it.  For every such case, per day of
those windows: whether any stored track (staff and inspectors alike) came within
:data:`VISIT_RADIUS_M` of the site, who, and the first and last such fix; a deadline that passed
with no visit in its window is flagged — nobody can have checked the site.

Tracks are read from the store day by day, only the fixes near the site (pyarrow filters).
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pyarrow.dataset as ds
import shapely

from gis.ledger.cases import Cases
from gis.localtime import local_date, parse_moment
from gis.schema import CONSTRUCTION, LOCAL_TZ
from gis.tracks.store import day_files

VISIT_RADIUS_M = 50.0
STAGES = {"order": "下达通知书当日", "self": "自行拆除期", "forced": "强制拆除期"}


def _day(text: str | None) -> date | None:
    return local_date(parse_moment(text, field="at")) if text else None


def stage_days(case: dict, on: date) -> list[tuple[date, str]]:
    """(day, stage) of the case's windows up to ``on`` (and not after its demolition)."""
    ordered = _day(case.get("ordered_at"))
    if case.get("category") != CONSTRUCTION or ordered is None or not case.get("self_due"):
        return []
    self_due, forced_due = date.fromisoformat(case["self_due"]), date.fromisoformat(case["forced_due"])
    last = min(on, forced_due, _day(case.get("demolished_at")) or forced_due)
    out, day = [], ordered
    while day <= last:
        out.append((day, "order" if day == ordered else "self" if day <= self_due else "forced"))
        day += timedelta(days=1)
    return out


def _near(data_dir, day: date, geom: shapely.Geometry) -> pd.DataFrame:
    """Good fixes of ``day`` within VISIT_RADIUS_M of ``geom``: staff_id, time."""
    files = day_files(data_dir, day.isoformat())
    if not files:
        return pd.DataFrame({"staff_id": pd.Series(dtype=object), "time": pd.Series(dtype="datetime64[ns, UTC]")})
    minx, miny, maxx, maxy = geom.bounds
    r = VISIT_RADIUS_M
    box = ((ds.field("x") >= minx - r) & (ds.field("x") <= maxx + r) & (ds.field("y") >= miny - r)
           & (ds.field("y") <= maxy + r) & (ds.field("flag") == ""))
    table = ds.dataset([str(f) for f in files]).to_table(columns=["staff_id", "time", "x", "y"], filter=box)
    frame = table.to_pandas()
    if frame.empty:
        return frame[["staff_id", "time"]]
    close = shapely.distance(geom, shapely.points(frame["x"].to_numpy(), frame["y"].to_numpy())) <= r
    return frame.loc[close, ["staff_id", "time"]].astype({"staff_id": object})


def _clock(moment) -> str:
    return pd.Timestamp(moment).tz_convert(LOCAL_TZ).strftime("%m-%d %H:%M")


def case_visits(cases: Cases, data_dir, case: dict, on: date) -> dict:
    """Per day of the case's windows, the visits; first and last; deadlines passed unvisited."""
    geom = cases.geometries(pd.DataFrame({"case_id": [case["case_id"]]}))[0]
    days, found = [], []
    for day, stage in stage_days(case, on):
        near = _near(data_dir, day, geom)
        row = {"date": day.isoformat(), "stage": stage, "stage_cn": STAGES[stage], "visited": not near.empty,
               "visitors": sorted(near["staff_id"].astype(str).unique().tolist()),
               "first": _clock(near["time"].min()) if len(near) else None,
               "last": _clock(near["time"].max()) if len(near) else None}
        days.append(row)
        if len(near):
            found.append(near)
    visits = pd.concat(found) if found else None
    unverified = []
    for stage, due_field, label in (("self", "self_due", "自行拆除期限"), ("forced", "forced_due", "强制拆除期限")):
        due = case.get(due_field)
        if not due or on <= date.fromisoformat(due) or case.get("status") in ("demolished", "closed", "dismissed"):
            continue
        window = [d for d in days if d["date"] <= due and (d["stage"] == "forced") == (stage == "forced")]
        if window and not any(d["visited"] for d in window):
            unverified.append(f"{label} {due} 已过，期内没有轨迹到过现场 {VISIT_RADIUS_M:.0f} 米内")
    visited_days = sum(d["visited"] for d in days)
    return {
        "case_id": case["case_id"], "radius_m": VISIT_RADIUS_M, "days": days,
        "visited_days": visited_days, "window_days": len(days),
        "first_visit": _clock(visits["time"].min()) if visits is not None else None,
        "last_visit": _clock(visits["time"].max()) if visits is not None else None,
        "unverified": unverified,
    }


def summary(result: dict) -> str:
    """One line for lists and reports."""
    if not result["window_days"]:
        return ""
    if result["unverified"]:
        return "；".join(result["unverified"])
    if not result["visited_days"]:
        return f"期内 {result['window_days']} 天尚无轨迹到场"
    return (f"到场 {result['visited_days']}/{result['window_days']} 天，首次 {result['first_visit']}，"
            f"末次 {result['last_visit']}")


def with_visits(cases: Cases, data_dir, frame: pd.DataFrame, on: date) -> pd.DataFrame:
    """``frame`` (case rows) with ``visits``: the one-line summary of each construction case's visits."""
    out = frame.copy()
    out["visits"] = [summary(case_visits(cases, data_dir, case, on)) if case.get("category") == CONSTRUCTION else ""
                     for case in out.astype(object).where(out.notna(), None).to_dict("records")]
    return out


def month_sheet(cases: Cases, data_dir, month_range, on: date) -> pd.DataFrame:
    """The construction cases ordered in the month, with their visits (a sheet of the monthly report)."""
    from gis.ledger.db import to_utc_text

    frame = cases.frame(category=CONSTRUCTION)
    start, end = month_range
    frame = frame[frame["ordered_at"].notna() & (frame["ordered_at"] >= to_utc_text(start))
                  & (frame["ordered_at"] < to_utc_text(end))]
    rows = []
    for case in frame.astype(object).where(frame.notna(), None).to_dict("records"):
        result = case_visits(cases, data_dir, case, on)
        rows.append({"案件编号": case["case_id"], "镇": case["town"], "网格编号": case["grid_id"],
                     "自行拆除期限": case["self_due"], "强制拆除期限": case["forced_due"],
                     "到场天数": result["visited_days"], "期内天数": result["window_days"],
                     "首次到场": result["first_visit"] or "", "末次到场": result["last_visit"] or "",
                     "期限已过无人到场": "；".join(result["unverified"])})
    return pd.DataFrame(rows, columns=["案件编号", "镇", "网格编号", "自行拆除期限", "强制拆除期限", "到场天数",
                                       "期内天数", "首次到场", "末次到场", "期限已过无人到场"])
