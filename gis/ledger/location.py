"""Where a case is: a point or polygon from the user, in any declared system, tied to grid, town and zones."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import shapely

from gis.crs import to_storage, to_web, to_wgs84
from gis.errors import InputError
from gis.join import GridIndex

ACCEPTED_TYPES = ("Point", "Polygon", "MultiPolygon")


def _from_geojson(value) -> shapely.Geometry:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise InputError(f"GeoJSON 无法解析：{exc.msg}（第 {exc.lineno} 行）", field="geometry") from None
        except RecursionError:
            raise InputError("GeoJSON 嵌套过深", field="geometry") from None
    if isinstance(value, dict) and value.get("type") == "FeatureCollection":
        features = value.get("features") or []
        if len(features) != 1:
            raise InputError(f"应只含一个要素，实有 {len(features)} 个", field="geometry")
        value = features[0]
    if isinstance(value, dict) and value.get("type") == "Feature":
        value = value.get("geometry")
    try:
        geom = shapely.geometry.shape(value)
    except (AttributeError, KeyError, TypeError, ValueError, RecursionError, shapely.errors.GEOSException) as exc:
        raise InputError(f"不是有效的 GeoJSON 几何：{exc}", field="geometry") from None
    return geom


def read_geometry_file(path: Path) -> dict:
    """The GeoJSON object in a small file (one feature or geometry)."""
    if not path.exists():
        raise InputError("文件不存在 (file not found)", file=str(path))
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"GeoJSON 无法解析：{exc}", file=str(path)) from None


def to_storage_geometry(*, lon=None, lat=None, geometry=None, crs: str | None = None) -> shapely.Geometry:
    """A point (``lon``, ``lat``) or a GeoJSON geometry, in ``crs`` (WGS84 when None; 'gcj02',
    'bd09' or any EPSG code), as a valid geometry in EPSG:4548."""
    if geometry is not None:
        geom = _from_geojson(geometry)
    elif lon is not None and lat is not None:
        try:
            geom = shapely.Point(float(lon), float(lat))
        except (TypeError, ValueError):
            raise InputError(f"经纬度不是数字：{lon}, {lat}", field="lon/lat") from None
    else:
        raise InputError("缺少位置：给出经纬度或 GeoJSON 几何", field="geometry")
    if geom.geom_type not in ACCEPTED_TYPES:
        raise InputError(f"几何类型 {geom.geom_type} 不支持；应为点或面", field="geometry")
    coords = shapely.get_coordinates(geom)
    if geom.is_empty or not np.all(np.isfinite(coords)):
        raise InputError("几何为空或坐标不是有限数", field="geometry")

    def convert(xy: np.ndarray) -> np.ndarray:
        lon_, lat_ = to_wgs84(xy[:, 0], xy[:, 1], crs, where="crs")
        return np.column_stack(to_storage(lon_, lat_))

    stored = shapely.transform(geom, convert)
    if not np.all(np.isfinite(shapely.get_coordinates(stored))):
        raise InputError("坐标无法换算（超出坐标系范围）", field="geometry")
    if not stored.is_valid:
        raise InputError(f"面不合法：{shapely.is_valid_reason(stored)}", field="geometry")
    return stored


def locate_case(index: GridIndex, geom: shapely.Geometry) -> dict:
    """Grid, town, zone flags and a representative point; refuses places outside the district."""
    point = geom if geom.geom_type == "Point" else geom.representative_point()
    row = index.assign_point(point.x, point.y)
    if not row["inside_district"]:
        lon, lat = to_wgs84_text(point)
        raise InputError(f"位置 ({lon}, {lat}) 不在密云区内；如坐标取自高德/腾讯地图请注明 gcj02，"
                         "百度地图注明 bd09", field="geometry")
    placed = {
        "x": point.x, "y": point.y,
        "area_m2": round(geom.area, 1),
        "grid_id": row["grid_id"] if isinstance(row["grid_id"], str) else None,
        "kind": row["kind"] if isinstance(row["kind"], str) else None,
        "town": row["town"] if isinstance(row["town"], str) else None,
        "grids": None,  # not a layer
        "nearest_grid_id": row["nearest_grid_id"] if isinstance(row["nearest_grid_id"], str) else None,
        "nearest_grid_m": None if np.isnan(row["nearest_grid_m"]) else round(float(row["nearest_grid_m"]), 1),
        "in_zone_l1": int(row["in_zone_l1"]),
        "in_river_corridor": int(row["in_river_corridor"]),
        "in_hazard_zone": int(row["in_hazard_zone"]),
        "inside_fence": int(row["inside_fence"]),
    }
    if geom.geom_type != "Point":
        by_area = index.assign_polygons([geom]).iloc[0]
        if by_area["grid_id"]:
            placed.update(grid_id=by_area["grid_id"], grids=by_area["grids"], nearest_grid_id=None,  # not a layer
                          nearest_grid_m=None)
    if placed["grid_id"]:  # the grid's own town is the responsible one
        own = index.grid_facts(placed["grid_id"])
        placed.update(town=own["town"], kind=own["kind"])
    lon, lat = to_wgs84_text(point)
    placed.update(lon=lon, lat=lat)
    return placed


def to_wgs84_text(point: shapely.Point) -> tuple[float, float]:
    lon, lat = to_web(np.array([point.x]), np.array([point.y]))
    return round(float(lon[0]), 7), round(float(lat[0]), 7)
