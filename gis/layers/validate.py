"""Validation of the reference layers: ``miyun-gis validate``.

Officers run it after editing in QGIS; every other command refuses layers
that fail it (:func:`ensure_valid`).  Each problem is one line naming the
layer, the feature and what is wrong, in Chinese.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import shapely
from pyproj import CRS

from gis.layers import gpkg
from gis.errors import LayerError
from gis.schema import (
    GRID_KINDS,
    GRIDS,
    LAYERS,
    RIVER_CORRIDORS,
    RIVER_LENGTH_TOLERANCE,
    RIVER_LENGTHS_M,
    RIVERS,
    STORAGE_CRS,
    TOTAL_GRIDS_L1,
    TOTAL_GRIDS_RIVER,
    TOTAL_STAFF,
    TOWN_QUOTAS,
    TOWNS,
    ZONE_L1,
    Layer,
)

OVERLAP_TOLERANCE_M2 = 1.0  # grid overlaps larger than this are reported
GAP_TOLERANCE_M2 = 10.0  # uncovered or outside pieces larger than this are reported


@dataclass(frozen=True)
class Problem:
    layer: str
    feature: str | None
    message: str
    warning: bool = False  # reported, but the layers stay fit for use

    def __str__(self) -> str:
        where = f"{self.layer} {self.feature}" if self.feature else self.layer
        return f"{where}: {self.message}"


def _feature_label(layer: Layer, frame: gpd.GeoDataFrame, index) -> str:
    if layer.id_field and layer.id_field in frame.columns:
        value = frame.at[index, layer.id_field]
        if isinstance(value, str) and value:
            return value
    return f"fid={index}"


def check_structure(path: Path, present: dict[str, str | None],
                    layers: Iterable[Layer] = LAYERS) -> list[Problem]:
    """Missing layers, wrong CRS or geometry type, missing fields.

    A missing layer that the schema marks ``required=False`` (one added after the officers'
    GeoPackages were made) is a warning, not a failure.
    """
    problems = []
    storage = CRS.from_user_input(STORAGE_CRS)
    for layer in layers:
        if layer.name not in present:
            if layer.required:
                problems.append(Problem(layer.name, None, "缺少图层 (missing layer)"))
            else:
                problems.append(Problem(layer.name, None, f"缺少可选图层「{layer.title}」，相关功能不可用 "
                                                          "(optional layer missing)", warning=True))
            continue
        info = pyogrio.read_info(path, layer=layer.name)
        if not info["crs"] or CRS.from_user_input(info["crs"]) != storage:
            problems.append(Problem(layer.name, None, f"坐标系应为 {STORAGE_CRS}，实为 {info['crs'] or '无'} (wrong CRS)"))
        if info["geometry_type"] != layer.geometry:
            problems.append(Problem(layer.name, None,
                                    f"几何类型应为 {layer.geometry}，实为 {info['geometry_type']} (wrong geometry type)"))
        fields = set(info["fields"])
        for field in layer.fields:
            if field.required and field.name not in fields:
                problems.append(Problem(layer.name, None, f"缺少字段 {field.name}（{field.alias}）(missing field)"))
    return problems


def check_features(layer: Layer, frame: gpd.GeoDataFrame) -> list[Problem]:
    """Empty or invalid geometries, duplicate or missing ids, values outside enumerations."""
    problems = []
    geoms = frame.geometry.array
    empty = shapely.is_empty(geoms) | shapely.is_missing(geoms)
    valid = shapely.is_valid(geoms)
    for index, is_empty, is_valid, geom in zip(frame.index, empty, valid, geoms):
        label = _feature_label(layer, frame, index)
        if is_empty:
            problems.append(Problem(layer.name, label, "几何为空 (empty geometry)"))
        elif not is_valid:
            problems.append(Problem(layer.name, label, f"几何无效 (invalid geometry): {shapely.is_valid_reason(geom)}"))
    if layer.id_field and layer.id_field in frame.columns:
        ids = frame[layer.id_field]
        for index in frame.index[ids.isna() | (ids.astype(str).str.strip() == "")]:
            problems.append(Problem(layer.name, f"fid={index}", f"缺少编号 {layer.id_field} (missing id)"))
        duplicated = ids[ids.notna() & ids.duplicated(keep=False)]
        for value in sorted(set(duplicated.astype(str))):
            problems.append(Problem(layer.name, value, f"编号重复 {int((ids.astype(str) == value).sum())} 次 (duplicate id)"))
    for field in layer.fields:
        if field.choices and field.name in frame.columns:
            bad = frame[field.name].notna() & ~frame[field.name].isin(field.choices)
            for index in frame.index[bad]:
                problems.append(Problem(layer.name, _feature_label(layer, frame, index),
                                        f"{field.name}（{field.alias}）的值 {frame.at[index, field.name]!r} 不在 "
                                        f"{'、'.join(field.choices)} 之中 (unknown value)"))
    return problems


def _pieces(geom) -> Iterable:
    return getattr(geom, "geoms", [geom]) if not geom.is_empty else []


def _where(geom) -> str:
    p = geom.representative_point()
    return f"约在 x={p.x:.0f}, y={p.y:.0f} ({STORAGE_CRS})"


def check_grids(grids: gpd.GeoDataFrame, zone: gpd.GeoDataFrame | None,
                corridors: gpd.GeoDataFrame | None) -> list[Problem]:
    """Overlaps, coverage of zone and corridors, per-town quotas."""
    problems = []
    grids = grids[shapely.is_valid(grids.geometry.array) & ~grids.geometry.is_empty]
    ids = grids["grid_id"].astype(str).to_numpy() if "grid_id" in grids else grids.index.astype(str).to_numpy()
    geoms = grids.geometry.array
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    pairs = left < right
    for i, j in zip(left[pairs], right[pairs]):
        area = shapely.intersection(geoms[i], geoms[j]).area
        if area > OVERLAP_TOLERANCE_M2:
            problems.append(Problem(GRIDS.name, ids[i], f"与网格 {ids[j]} 重叠 {area:.1f} 平方米 (overlap)"))

    if zone is not None and corridors is not None:
        managed = shapely.union_all(np.concatenate([zone.geometry.array, corridors.geometry.array]))
        covered = shapely.union_all(geoms)
        for piece in _pieces(shapely.difference(managed, covered)):
            if piece.area > GAP_TOLERANCE_M2:
                problems.append(Problem(ZONE_L1.name, None,
                                        f"有 {piece.area:.0f} 平方米不属于任何网格 (not covered), {_where(piece)}"))
        outside = shapely.difference(geoms, managed)
        for grid, piece in zip(ids, outside):
            if piece.area > GAP_TOLERANCE_M2:
                problems.append(Problem(GRIDS.name, grid,
                                        f"有 {piece.area:.0f} 平方米在一级区和河道管护范围之外 (outside), {_where(piece)}"))

    if {"town", "kind"} <= set(grids.columns):
        problems += check_quotas(grids)
    return problems


def check_quotas(grids: gpd.GeoDataFrame) -> list[Problem]:
    """Per-town grid counts and staff against attachment 1; the district totals."""
    problems = []
    counts = grids.groupby(["town", "kind"]).size()
    for q in TOWN_QUOTAS:
        for kind, expected in zip(GRID_KINDS, (q.grids_l1, q.grids_river)):
            found = int(counts.get((q.name, kind), 0))
            if found != expected:
                label = GRID_KINDS.short[kind]
                problems.append(Problem(GRIDS.name, None,
                                        f"{q.name}{label}网格应为 {expected} 个，实为 {found} 个 (quota)"))
        if "staff_quota" in grids:
            staff = int(grids.loc[grids["town"] == q.name, "staff_quota"].fillna(0).sum())
            if staff != q.staff:
                problems.append(Problem(GRIDS.name, None, f"{q.name}保水员定额合计应为 {q.staff}，实为 {staff} (staff quota)"))
    unknown = sorted(set(grids["town"].dropna()) - {q.name for q in TOWN_QUOTAS})
    for town in unknown:
        problems.append(Problem(GRIDS.name, None, f"未知的镇 {town!r} (unknown town)"))
    total = len(grids)
    if total != TOTAL_GRIDS_L1 + TOTAL_GRIDS_RIVER:
        problems.append(Problem(GRIDS.name, None, f"网格总数应为 {TOTAL_GRIDS_L1 + TOTAL_GRIDS_RIVER}，实为 {total}"))
    if "staff_quota" in grids and int(grids["staff_quota"].fillna(0).sum()) != TOTAL_STAFF:
        problems.append(Problem(GRIDS.name, None,
                                f"保水员定额总数应为 {TOTAL_STAFF}，实为 {int(grids['staff_quota'].fillna(0).sum())}"))
    return problems


def check_rivers(rivers: gpd.GeoDataFrame) -> list[Problem]:
    problems = []
    if "name" not in rivers:
        return problems
    for name, expected in RIVER_LENGTHS_M.items():
        length = rivers.loc[rivers["name"] == name].length.sum()
        if abs(length - expected) > RIVER_LENGTH_TOLERANCE * expected:
            problems.append(Problem(RIVERS.name, name, f"长度应为 {expected / 1000:.1f} 公里 ±1%，实为 "
                                                       f"{length / 1000:.2f} 公里 (river length)"))
    return problems


def check_towns(towns: gpd.GeoDataFrame) -> list[Problem]:
    if "name" not in towns:
        return []
    names = set(towns["name"])
    return [Problem(TOWNS.name, q.name, "缺少网格化管理镇 (programme town missing)")
            for q in TOWN_QUOTAS if q.name not in names]


def validate(path: str | Path, *, warnings: bool = False) -> list[Problem]:
    """Every problem found in the layer set at ``path`` (empty list: fit for use).

    With ``warnings=True`` the list also holds the warnings (``Problem.warning``), such as a
    missing optional layer; they never make the layers unfit.
    """
    path = Path(path)
    present = gpkg.list_layers(path)
    problems = check_structure(path, present)
    if not warnings:
        problems = [p for p in problems if not p.warning]
    frames = {}
    for layer in LAYERS:
        if layer.name in present:
            frame = gpkg.read_layer(path, layer.name)
            frames[layer.name] = frame
            problems += check_features(layer, frame)
    if GRIDS.name in frames:
        problems += check_grids(frames[GRIDS.name], frames.get(ZONE_L1.name), frames.get(RIVER_CORRIDORS.name))
    if RIVERS.name in frames:
        problems += check_rivers(frames[RIVERS.name])
    if TOWNS.name in frames:
        problems += check_towns(frames[TOWNS.name])
    return problems


_VALID_CACHE: dict[tuple[str, int, int], None] = {}


def ensure_valid(path: str | Path) -> Path:
    """Raise :class:`LayerError` unless the layers at ``path`` validate; cached per file version."""
    path = Path(path).resolve()
    if not path.exists():
        gpkg.list_layers(path)  # raises the not-found error
    stat = path.stat()
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    if key in _VALID_CACHE:
        return path
    problems = validate(path)
    if problems:
        shown = "；".join(str(p) for p in problems[:5])
        more = f"（另有 {len(problems) - 5} 个问题）" if len(problems) > 5 else ""
        raise LayerError(f"图层未通过校验，请先运行 miyun-gis validate 并修正：{shown}{more}", file=str(path))
    _VALID_CACHE[key] = None
    return path
