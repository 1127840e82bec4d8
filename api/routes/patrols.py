"""``/api/patrols/{date}``: a day's per-grid patrol figures and tracks, for the patrol map and offices."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
import shapely
from fastapi import APIRouter, Query

from api.auth import CurrentUser
from api.state import cached
from api.types import DayPath
from gis.auth.rights import grid_scope, require, town_scope
from gis.errors import NotFound
from gis.localtime import parse_day
from gis.settings import get_settings
from gis.tracks import daily
from gis.tracks.pipeline import load_reference
from gis.tracks.store import day_files, read_day

router = APIRouter(tags=["patrols 巡查"])
_LOCK = threading.Lock()
_FIGURES: dict[tuple[str, tuple], tuple[pd.DataFrame, pd.DataFrame]] = {}
DEGREES_PER_M = 1 / 111_000


def _signature(data_dir: Path, day: str) -> tuple:
    return tuple(sorted((str(f), f.stat().st_mtime_ns) for f in day_files(data_dir, day)))


def figures(day: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The day's grid and staff figures, computed once per state of the day's track files."""
    parse_day(day, field="date")
    data_dir = Path(get_settings().data_dir)
    signature = _signature(data_dir, day)
    if not signature:
        raise NotFound(f"{day} 没有巡查轨迹", field="date", value=day)
    with _LOCK:
        if (day, signature) not in _FIGURES:
            ref = cached("daily_reference", load_reference)
            _FIGURES[(day, signature)] = daily.daily_figures(day, read_day(data_dir, day), ref, data_dir)
        return _FIGURES[(day, signature)]


def _records(frame: pd.DataFrame) -> list[dict]:
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


@router.get("/api/patrols/{day}", summary="某日各网格巡查情况（覆盖率、24 小时无人时段、界桩与进出口）")
def patrol_day(day: DayPath, user: CurrentUser) -> dict:
    require(user, "read_reports")
    grid, staff = figures(day)
    town = town_scope(user)
    if town:
        grid, staff = grid.loc[grid["town"] == town], staff.loc[staff["town"] == town]
    return {"date": day, "staff": int((staff["fixes"] > 0).sum()) if len(staff) else 0, "grids": _records(grid)}


@router.get("/api/patrols/{day}/staff", summary="某日各保水员巡查情况与虚假巡查线索")
def patrol_staff(day: DayPath, user: CurrentUser, town: str | None = None) -> dict:
    require(user, "read_reports")
    town = town_scope(user, town)
    _, staff = figures(day)
    if town:
        staff = staff.loc[staff["town"] == town]
    return {"date": day, "count": len(staff), "items": _records(staff)}


@router.get("/api/patrols/{day}/tracks", summary="某日轨迹（每人一条线，已简化）GeoJSON")
def patrol_tracks(day: DayPath, user: CurrentUser, grid: str | None = None, town: str | None = None,
                  tolerance: Annotated[float, Query(ge=0, le=500, description="简化容差（米）")] = 20.0) -> dict:
    parse_day(day, field="date")
    grid, town = grid_scope(user, grid), town_scope(user, town)
    data_dir = Path(get_settings().data_dir)
    if not day_files(data_dir, day):
        raise NotFound(f"{day} 没有巡查轨迹", field="date", value=day)
    fixes = read_day(data_dir, day, columns=["staff_id", "time", "lon", "lat", "grid_id", "town", "flag"])
    fixes = fixes.loc[fixes["flag"] == ""]
    if grid:
        fixes = fixes.loc[fixes["staff_id"].isin(fixes.loc[fixes["grid_id"] == grid, "staff_id"].unique())]
    if town:
        fixes = fixes.loc[fixes["town"] == town]
    features = []
    for staff_id, one in fixes.groupby("staff_id", sort=True):
        if len(one) < 2:
            continue
        line = shapely.simplify(shapely.linestrings(np.column_stack([one["lon"], one["lat"]])),
                                tolerance * DEGREES_PER_M, preserve_topology=False)
        coords = np.round(shapely.get_coordinates(line), 5).tolist()
        features.append({"type": "Feature", "geometry": {"type": "LineString", "coordinates": coords},
                         "properties": {"staff_id": staff_id, "fixes": len(one)}})
    return {"type": "FeatureCollection", "features": features}
