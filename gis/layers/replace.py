"""Replace one reference layer with real data: ``miyun-gis import-layer``.

Reads a Shapefile, GeoJSON or GeoPackage, converts its coordinates (any CRS
pyproj knows, or GCJ-02 / BD-09 lon/lat), maps its field names onto the
schema, checks it, validates the whole set with the new layer in place, and
only then swaps the GeoPackage atomically.  A failed import changes nothing.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyogrio.errors import DataLayerError, DataSourceError

from gis import crs as crs_mod
from gis.layers import gpkg
from gis.atomic import locked, sweep
from gis.errors import CRSError, InputError, LayerError
from gis.schema import LAYER_BY_NAME, STORAGE_CRS, WEB_CRS, Layer
from gis.layers.validate import validate

# lon/lat box around Miyun with a margin: imported data must fall inside it
PLAUSIBLE_LONLAT = (116.4, 40.0, 117.8, 41.0)
_GEOMETRY_FAMILY = {"Point": "Point", "MultiPoint": "Point", "LineString": "Line", "MultiLineString": "Line",
                    "Polygon": "Polygon", "MultiPolygon": "Polygon"}


def parse_mapping(pairs: list[str]) -> dict[str, str]:
    """``['grid_id=WGBH', 'town=SSZ']`` → ``{'WGBH': 'grid_id', 'SSZ': 'town'}`` (source → schema)."""
    mapping = {}
    for pair in pairs:
        target, sep, source = pair.partition("=")
        if not sep or not target or not source:
            raise InputError(f"字段映射应写作 图层字段=源字段，例如 grid_id=WGBH；收到 {pair!r}", field="--map")
        mapping[source.strip()] = target.strip()
    return mapping


def read_source(file: Path, source_layer: str | None) -> gpd.GeoDataFrame:
    if not str(file).startswith("/vsi") and not file.exists():
        raise InputError("文件不存在 (file not found)", file=str(file))
    try:
        return pyogrio.read_dataframe(file, layer=source_layer)
    except (DataSourceError, DataLayerError) as exc:
        raise InputError(f"无法读取 (cannot read): {exc}", file=str(file)) from None


def to_storage_crs(frame: gpd.GeoDataFrame, crs_arg: str | None, file: Path) -> gpd.GeoDataFrame:
    """Reproject to EPSG:4548, undoing GCJ-02 / BD-09 first when declared."""
    if crs_mod.obfuscation(crs_arg):
        frame = frame.set_crs(WEB_CRS, allow_override=True)
        frame["geometry"] = shapely.transform(
            frame.geometry.array, lambda xy: np.column_stack(crs_mod.deobfuscate(xy[:, 0], xy[:, 1], crs_arg)))
    elif crs_arg:
        frame = frame.set_crs(crs_mod.parse_crs(crs_arg), allow_override=True)
    elif frame.crs is None:
        raise CRSError("文件没有坐标系，请用 --crs 指定（如 EPSG:4326、EPSG:4548、gcj02）(missing CRS)", file=str(file))
    frame = frame.to_crs(STORAGE_CRS)
    lon_min, lat_min, lon_max, lat_max = PLAUSIBLE_LONLAT
    bounds = frame.to_crs(WEB_CRS).total_bounds
    if not np.all(np.isfinite(bounds)) or bounds[0] > lon_max or bounds[2] < lon_min \
            or bounds[1] > lat_max or bounds[3] < lat_min:
        raise CRSError(f"坐标不在密云区附近（经纬度范围 {np.round(bounds, 3).tolist()}），坐标系可能有误 "
                       f"(coordinates far from Miyun: wrong CRS?)", file=str(file))
    return frame


def conform(frame: gpd.GeoDataFrame, layer: Layer, mapping: dict[str, str], file: Path,
            make_valid: bool) -> gpd.GeoDataFrame:
    """Rename mapped fields, check types, promote geometries, fill derived fields."""
    frame = frame.rename(columns=mapping)
    got = set(frame.geometry.geom_type.dropna().map(_GEOMETRY_FAMILY))
    want = _GEOMETRY_FAMILY[layer.geometry]
    if got - {want}:
        raise InputError(f"图层 {layer.name} 需要 {layer.geometry} 几何，文件中是 {'、'.join(sorted(got))}",
                         file=str(file))
    if make_valid:
        frame["geometry"] = frame.geometry.make_valid()
    if "area_m2" in layer.field_names:
        frame["area_m2"] = frame.geometry.area.round(1)
    if "length_m" in layer.field_names:
        frame["length_m"] = frame.geometry.length.round(1)
    if "source" not in frame.columns:
        stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d")
        frame["source"] = f"imported from {file.name} on {stamp}"
    for field in layer.fields:
        if field.name not in frame.columns:
            if field.required:
                raise InputError(f"缺少字段 {field.name}（{field.alias}）；用 --map {field.name}=源字段 指定",
                                 file=str(file), field=field.name)
            continue
        frame[field.name] = _cast(frame[field.name], field.dtype, file, field.name)
    return frame


def _cast(values: pd.Series, dtype: str, file: Path, name: str) -> pd.Series:
    try:
        if dtype == "int":
            return pd.to_numeric(values, errors="raise").round().astype("Int64")
        if dtype == "float":
            return pd.to_numeric(values, errors="raise").astype(float)
        if dtype == "bool":
            return values.astype(bool)
        return values.astype("string").str.strip().astype(object)
    except (ValueError, TypeError) as exc:
        bad = next((i for i, v in enumerate(values) if _not_number(v)), None)
        raise InputError(f"值无法转换为 {dtype}: {exc}", file=str(file), field=name,
                         row=None if bad is None else bad + 1) from None


def _not_number(value) -> bool:
    try:
        float(value)
        return False
    except (TypeError, ValueError):
        return True


def import_layer(layers_path: Path, layer_name: str, file: Path, *, crs: str | None = None,
                 mapping: dict[str, str] | None = None, source_layer: str | None = None,
                 make_valid: bool = False) -> int:
    """Import ``file`` as layer ``layer_name``; returns the number of features stored."""
    if layer_name not in LAYER_BY_NAME:
        raise InputError(f"未知图层 {layer_name!r}；可导入：{'、'.join(LAYER_BY_NAME)}", field="LAYER")
    layer = LAYER_BY_NAME[layer_name]
    gpkg.list_layers(layers_path)  # the set must exist: a clear error otherwise
    frame = read_source(file, source_layer)
    if frame.empty:
        raise InputError("文件中没有要素 (no features)", file=str(file))
    frame = to_storage_crs(frame, crs, file)
    frame = conform(frame, layer, mapping or {}, file, make_valid)
    with locked(layers_path), gpkg.staged(layers_path, copy_existing=True) as tmp:
        sweep(Path(layers_path).parent)  # copies of the layers an import killed half-way left behind
        gpkg.replace_layer(tmp, layer_name, frame)
        problems = validate(tmp)
        if problems:
            listing = "\n".join(f"  {p}" for p in problems[:30])
            more = f"\n  …另有 {len(problems) - 30} 个问题" if len(problems) > 30 else ""
            raise LayerError(f"导入后图层未通过校验，未做任何修改 (nothing changed):\n{listing}{more}", file=str(file))
    return len(frame)
