"""What each collection serves: the reference layers, and the day's data scoped by the caller's rights.

A collection hands the routes a GeoDataFrame in the storage CRS whose index is the feature id
(``grid_id`` for grids, the case id for cases …) and a table of its properties.  Reference layers
are the validated layers in memory; cases, the day's patrol tracks and the day's per-grid figures
are read per request and limited exactly as ``/api/cases`` and ``/api/patrols`` limit them
(``gis.auth.rights``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from api.ogc.params import ParameterError
from gis.auth.rights import grid_scope, require, town_scope
from gis.auth.users import User
from gis.errors import NotFound
from gis.localtime import LOCAL, today_local
from gis.schema import (
    CASE_COLUMNS,
    DAILY_GRID_COLUMNS,
    GRIDS,
    LAYERS,
    OGC,
    STORAGE_CRS,
    Layer,
)

JSON_TYPES = {"str": "string", "int": "integer", "float": "number", "bool": "boolean", "date": "string"}
TRACK_COLUMNS = {"staff_id": "保水员编号", "grid_id": "主要所在网格", "town": "镇", "fixes": "定位点数",
                 "first_fix": "首次定位", "last_fix": "末次定位", "date": "日期"}
TRACK_TOLERANCE_M = 20.0  # the day's lines are simplified to this unless ``simplify`` says otherwise


@dataclass(frozen=True)
class Property:
    name: str
    type: str  # JSON Schema type
    title: str
    choices: tuple[str, ...] = ()
    format: str | None = None


@dataclass
class Request:
    """What a collection needs to know of the request: who asks and which days."""

    user: User
    interval: tuple[datetime | None, datetime | None] | None = None
    simplify: float | None = None


@dataclass(frozen=True)
class Collection:
    id: str
    title: str
    description: str
    geometry: str  # GeoJSON geometry type of every feature
    properties: tuple[Property, ...]
    load: Callable[[Request], gpd.GeoDataFrame]  # storage CRS, index = feature id (str)
    temporal: str | None = None  # the property holding each feature's time, if any
    layer: Layer | None = None  # a reference layer (served from memory, cached per version)
    by_day: bool = False  # one day at a time (``datetime`` picks it, today by default)
    links: tuple = field(default=())

    @property
    def queryables(self) -> set[str]:
        return {p.name for p in self.properties}


def _layer_properties(layer: Layer) -> tuple[Property, ...]:
    return tuple(Property(f.name, JSON_TYPES[f.dtype], f.alias, f.choices, "date" if f.dtype == "date" else None)
                 for f in layer.fields)


def _frame_properties(columns: dict[str, str], types: dict[str, str]) -> tuple[Property, ...]:
    return tuple(Property(name, types.get(name, "string"), title,
                          format="date-time" if types.get(name) == "date-time" else None)
                 for name, title in columns.items())


def _with_ids(frame: gpd.GeoDataFrame, id_field: str | None) -> gpd.GeoDataFrame:
    """The frame indexed by its stable id: the layer's id field when unique, else the GeoPackage fid."""
    if id_field and id_field in frame and frame[id_field].notna().all() and frame[id_field].is_unique:
        ids = frame[id_field].astype(str)
    else:
        ids = frame.index.astype(str)
    return frame.set_axis(pd.Index(ids, name="id"), axis=0)


def _reference(layer: Layer) -> Collection:
    def load(_request: Request) -> gpd.GeoDataFrame:
        from api.state import layer_set

        frames = layer_set().frames
        if layer.name not in frames:
            raise NotFound(f"图层 {layer.name} 不在当前图层文件中")
        return _with_ids(frames[layer.name], layer.id_field)

    return Collection(layer.name, layer.title, layer.description, layer.geometry,
                      _layer_properties(layer), load, layer=layer)


# --- the day's data ---------------------------------------------------------------------------


def one_day(interval) -> str:
    """The local day a day-based collection serves: ``datetime`` must fall within one day (default today)."""
    if interval is None:
        return today_local().isoformat()
    start, end = interval
    if start is None or end is None:
        raise ParameterError("此集合按日提供：datetime 应为一天（如 2026-06-01）或同一天内的时刻", field="datetime")
    first, last = start.astimezone(LOCAL).date(), (end - timedelta(microseconds=1)).astimezone(LOCAL).date()
    if first != last:
        raise ParameterError(f"此集合按日提供：datetime 跨了 {first}…{last}，请给一天", field="datetime")
    return first.isoformat()


def _cases(request: Request) -> gpd.GeoDataFrame:
    from api.state import case_store
    from gis.crs import to_storage
    from gis.ledger.db import to_utc_text

    user = request.user
    town, grid = town_scope(user), grid_scope(user)
    frame = case_store().frame(town=town)
    if grid:
        frame = frame.loc[frame["grid_id"] == grid]
    if request.interval:
        start, end = request.interval
        if start:
            frame = frame.loc[frame["reported_at"] >= to_utc_text(start)]
        if end:
            frame = frame.loc[frame["reported_at"] < to_utc_text(end)]
    x, y = to_storage(frame["lon"].to_numpy(float), frame["lat"].to_numpy(float))
    columns = [c for c in CASE_COLUMNS if c in frame]
    points = gpd.GeoDataFrame(frame[columns].reset_index(drop=True), geometry=shapely.points(x, y), crs=STORAGE_CRS)
    return _with_ids(points, "case_id")


def _tracks(request: Request) -> gpd.GeoDataFrame:
    """The day's tracks, one simplified line per staff member (limited like ``/api/patrols/{day}/tracks``)."""
    from api.state import current
    from gis.tracks.store import read_day

    day = one_day(request.interval)
    user = request.user
    grid, town = grid_scope(user), town_scope(user)
    fixes = read_day(current().data_dir, day,
                     columns=["staff_id", "time", "x", "y", "grid_id", "town", "flag"])
    fixes = fixes.loc[fixes["flag"] == ""]
    if grid:
        fixes = fixes.loc[fixes["staff_id"].isin(fixes.loc[fixes["grid_id"] == grid, "staff_id"].unique())]
    if town:
        fixes = fixes.loc[fixes["town"] == town]
    tolerance = TRACK_TOLERANCE_M if request.simplify is None else request.simplify
    rows, lines = [], []
    for staff_id, one in fixes.groupby("staff_id", sort=True, observed=True):
        if len(one) < 2:
            continue
        line = shapely.linestrings(np.column_stack([one["x"], one["y"]]))
        lines.append(shapely.simplify(line, tolerance, preserve_topology=False) if tolerance else line)
        where = one["grid_id"].astype(str)
        rows.append({"staff_id": str(staff_id), "grid_id": where.mode().iloc[0] if where.ne("").any() else None,
                     "town": str(one["town"].mode().iloc[0]), "fixes": len(one),
                     "first_fix": one["time"].min().strftime("%Y-%m-%dT%H:%M:%SZ"),
                     "last_fix": one["time"].max().strftime("%Y-%m-%dT%H:%M:%SZ"), "date": day})
    frame = gpd.GeoDataFrame(pd.DataFrame(rows, columns=list(TRACK_COLUMNS)),
                             geometry=gpd.GeoSeries(lines, crs=STORAGE_CRS))
    frame.index = pd.Index([f"{day}:{s}" for s in frame["staff_id"]], name="id")
    return frame


def _patrol_grids(request: Request) -> gpd.GeoDataFrame:
    """The grids with the day's figures (as ``/api/patrols/{day}``: office roles, town operators their town)."""
    from api.routes.patrols import figures
    from api.state import layer_set

    require(request.user, "read_reports")
    day = one_day(request.interval)
    town = town_scope(request.user)
    grids = layer_set().frames[GRIDS.name][["grid_id", "geometry"]]
    try:
        grid_figures, _staff = figures(day)
    except NotFound:  # no tracks that day: an empty collection, as for the tracks
        grid_figures = pd.DataFrame(columns=list(DAILY_GRID_COLUMNS))
    joined = grids.merge(grid_figures, on="grid_id", how="inner")
    if town:
        joined = joined.loc[joined["town"] == town]
    joined = joined[[c for c in DAILY_GRID_COLUMNS if c in joined] + ["geometry"]]
    for column in joined.columns:
        if joined[column].dtype == object and column != "geometry":
            joined[column] = joined[column].map(lambda v: "、".join(map(str, v)) if isinstance(v, (list, tuple,
                                                                                                np.ndarray)) else v)
    joined = gpd.GeoDataFrame(joined, geometry="geometry", crs=STORAGE_CRS)
    joined.index = pd.Index([f"{day}:{g}" for g in joined["grid_id"]], name="id")
    return joined


_CASE_TYPES = {"area_m2": "number", "lon": "number", "lat": "number", "version": "integer",
               "in_zone_l1": "integer", "in_river_corridor": "integer", "reported_at": "date-time"}
_GRID_FIGURE_TYPES = {"staff_present": "integer", "patrol_km": "number", "hours_inside": "number",
                      "uncovered_hours": "integer", "coverage_50m": "number", "markers_passed": "integer",
                      "markers_total": "integer", "gates_passed": "integer", "gates_total": "integer"}

DAY_COLLECTIONS = (
    Collection("cases", "案件", "Cases of the ledger as points (town operators: their town; field staff: their grid). "
               "`datetime` filters the report time.", "Point", _frame_properties(CASE_COLUMNS, _CASE_TYPES),
               _cases, temporal="reported_at"),
    Collection("patrol_tracks", "当日巡查轨迹", "One simplified line per staff member for one local day "
               "(`datetime`=YYYY-MM-DD, today by default; `simplify` in metres, 20 by default).", "LineString",
               _frame_properties(TRACK_COLUMNS, {"fixes": "integer"}), _tracks, temporal="date", by_day=True),
    Collection("patrol_grids", "当日网格巡查情况", "The grids with one local day's patrol figures (office roles; "
               "town operators: their town). `datetime`=YYYY-MM-DD, today by default.", "MultiPolygon",
               _frame_properties(DAILY_GRID_COLUMNS, _GRID_FIGURE_TYPES), _patrol_grids, temporal="date",
               by_day=True),
)
_REFERENCE_COLLECTIONS = tuple(_reference(layer) for layer in LAYERS if layer.shown(OGC))
COLLECTIONS: dict[str, Collection] = {c.id: c for c in (*_REFERENCE_COLLECTIONS, *DAY_COLLECTIONS)}


def collection(collection_id: str) -> Collection:
    if collection_id not in COLLECTIONS:
        raise NotFound(f"集合 {collection_id} 不存在；可用：{'、'.join(COLLECTIONS)}", field="collectionId",
                       value=collection_id)
    return COLLECTIONS[collection_id]
