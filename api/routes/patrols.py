"""``/api/patrols/{date}``: a day's per-grid patrol figures and tracks, for the patrol map and offices.

A day's figures are computed once per state of its track files — by a background thread as soon as
new files of the newest day appear (:func:`start_warming`), not by the first request; the answers
themselves are kept by :mod:`api.response_cache` (ETag, compression) until the files change.  The
patrol map draws a full district day's tracks as Mapbox vector tiles
(``/api/patrols/{date}/tiles/{z}/{x}/{y}.pbf``, :mod:`api.track_tiles`).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
import shapely
from fastapi import APIRouter, Path as PathParam, Query, Response

from api.auth import CurrentUser
from api.state import built_for_layers, current, layer_set
from api.types import DayPath
from gis.auth.rights import grid_scope, require, require_grid, town_scope
from gis.errors import NotFound
from gis.intake.compact import day_status
from gis.localtime import parse_day
from gis.lookup import one_grid
from gis.schema import GRIDS
from gis.tracks import daily
from gis.tracks.pipeline import load_reference
from gis.tracks.store import day_files, read_day, tracks_dir

router = APIRouter(tags=["patrols 巡查"])
_LOCK = threading.Lock()
_FIGURES: dict[tuple[str, tuple], tuple[pd.DataFrame, pd.DataFrame]] = {}
DEGREES_PER_M = 1 / 111_000
WARM_ZOOMS = (9, 10, 11)


def _signature(data_dir: Path, day: str) -> tuple:
    return tuple(sorted((str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in day_files(data_dir, day)))


def day_version(day: str) -> tuple:
    """The state of a day's track files (empty when the day has none, or is no valid day: the route then
    answers why): what its answers are built from."""
    try:
        parse_day(day, field="date")  # validated before any store lookup: a bad day is the route's 4xx
        return _signature(current().data_dir, day)
    except (FileNotFoundError, ValueError):  # a file replaced between listing and stat: the next request sees it
        return ()


def figures(day: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The day's grid and staff figures, computed once per state of the day's track files."""
    parse_day(day, field="date")
    data_dir = current().data_dir
    signature = _signature(data_dir, day)
    if not signature:
        raise NotFound(f"{day} 没有巡查轨迹", field="date", value=day)
    with _LOCK:
        if (day, signature) not in _FIGURES:
            ref = built_for_layers("daily_reference", load_reference)
            for old in [key for key in _FIGURES if key[0] == day]:  # an earlier state of the same day
                del _FIGURES[old]
            _FIGURES[(day, signature)] = daily.daily_figures(day, read_day(data_dir, day), ref, data_dir)
        return _FIGURES[(day, signature)]


def newest_day(data_dir: Path) -> str | None:
    """The latest local day with stored tracks."""
    days = sorted(p.name.removeprefix("date=") for p in tracks_dir(data_dir).glob("date=*") if p.is_dir())
    return days[-1] if days else None


def warm(day: str) -> None:
    """Compute a day's figures and its track lines now (each only if its files changed)."""
    from api.track_tiles import day_tracks

    figures(day)
    day_tracks(day, None).warm(WARM_ZOOMS)  # the tiles of the views the patrol map opens at


def start_warming(every: float = 5.0) -> threading.Thread:
    """A daemon thread that computes the newest day's figures when its track files change."""
    def loop() -> None:
        seen: tuple = ()
        while True:
            try:
                data_dir = current().data_dir
                day = newest_day(data_dir)
                state = (day, _signature(data_dir, day)) if day else ()
                if day and state != seen:
                    warm(day)
                    seen = state
            except Exception:  # noqa: BLE001 — a half-written day or unreadable layers: the request path reports it
                pass
            time.sleep(every)

    thread = threading.Thread(target=loop, name="patrol-figures", daemon=True)
    thread.start()
    return thread


def _records(frame: pd.DataFrame) -> list[dict]:
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


@router.get("/api/patrols/{day}", summary="某日各网格巡查情况（覆盖率、24 小时无人时段、界桩与进出口）")
def patrol_day(day: DayPath, user: CurrentUser) -> dict:
    require(user, "read_reports")
    grid, staff = figures(day)
    town = town_scope(user)
    if town:
        grid, staff = grid.loc[grid["town"] == town], staff.loc[staff["town"] == town]
    present = int((staff["fixes"] > 0).sum()) if len(staff) else 0
    return {"date": day, "staff": present, "grids": _records(grid),  # not a layer
            "live": day_status(current().data_dir, day)}  # live fixes folded in; late ones said so


@router.get("/api/patrols/{day}/staff",
            summary="某日各保水员巡查情况与虚假巡查线索（参数 town，或 grid：该网格的保水员，网格页用）")
def patrol_staff(day: DayPath, user: CurrentUser, town: str | None = None, grid: str | None = None) -> dict:
    require(user, "read_reports")
    town = town_scope(user, town)
    if grid:  # the grid's own staff, wherever their fixes were (as the grid's fake_suspects)
        require_grid(user, grid, one_grid(layer_set().frames[GRIDS.name], grid)["town"].iloc[0])
    _, staff = figures(day)
    if grid:
        staff = staff.loc[staff["own_grid"] == grid]
    elif town:
        staff = staff.loc[staff["town"] == town]
    return {"date": day, "count": len(staff), "items": _records(staff)}


@router.get("/api/patrols/{day}/tracks", summary="某日轨迹（每人一条线，已简化）GeoJSON")
def patrol_tracks(day: DayPath, user: CurrentUser, grid: str | None = None, town: str | None = None,
                  tolerance: Annotated[float, Query(ge=0, le=500, description="简化容差（米）")] = 20.0) -> dict:
    parse_day(day, field="date")
    grid, town = grid_scope(user, grid), town_scope(user, town)
    data_dir = current().data_dir
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


@router.get("/api/patrols/{day}/tiles/{z}/{x}/{y}.pbf", summary="某日轨迹矢量切片（Mapbox Vector Tile，图层 tracks）",
            response_class=Response, responses={200: {"content": {"application/vnd.mapbox-vector-tile": {}}}})
def patrol_tiles(day: str, user: CurrentUser, z: Annotated[int, PathParam(ge=0, le=22)],
                 x: Annotated[int, PathParam(ge=0)], y: Annotated[int, PathParam(ge=0)]) -> Response:
    from api.track_tiles import day_tracks

    require(user, "read_reports")
    parse_day(day, field="date")
    if x >= 2**z or y >= 2**z:
        raise NotFound(f"切片 {z}/{x}/{y} 不存在", field="tile", value=f"{z}/{x}/{y}")
    if not day_files(current().data_dir, day):
        raise NotFound(f"{day} 没有巡查轨迹", field="date", value=day)
    return Response(day_tracks(day, town_scope(user)).tile(z, x, y), media_type="application/vnd.mapbox-vector-tile")
