"""Checking a proposed new village site against the places it must avoid.

The first-level protection zone, the river corridors and the hazard zones come
from the layers; ecological red lines, nature reserves or any other polygon
layer the user gives are checked the same way.  Each conflict is listed with
the overlap area; any conflict refuses the site.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from gis.layers import gpkg
from gis.errors import InputError
from gis.layers.replace import read_source, to_storage_crs
from gis.schema import HAZARD_ZONES, LAYER_BY_NAME, RIVER_CORRIDORS, STORAGE_CRS, ZONE_L1

CHECKED_LAYERS = (ZONE_L1.name, RIVER_CORRIDORS.name, HAZARD_ZONES.name)
MIN_OVERLAP_M2 = 0.01


@dataclass
class SiteCheck:
    area_m2: float
    conflicts: pd.DataFrame  # layer, title, feature, overlap_m2, share

    @property
    def refused(self) -> bool:
        return not self.conflicts.empty

    def verdict(self) -> str:
        if not self.refused:
            return f"选址可行：面积 {self.area_m2:,.0f} 平方米，未与一级保护区、河道管护范围、隐患区及所给图层重叠。"
        parts = "；".join(f"{r.title} {r.feature} 重叠 {r.overlap_m2:,.1f} 平方米" for r in self.conflicts.itertuples())
        return f"选址不可行：{parts}。"


def _feature_label(frame: gpd.GeoDataFrame, layer: str | None) -> pd.Series:
    id_field = LAYER_BY_NAME[layer].id_field if layer in LAYER_BY_NAME else None
    for column in (id_field, "name", "名称", "id"):
        if column and column in frame.columns:
            return frame[column].astype(str)
    return pd.Series([f"#{i + 1}" for i in range(len(frame))], index=frame.index)


def _overlaps(site: shapely.Geometry, frame: gpd.GeoDataFrame, layer: str, title: str) -> list[dict]:
    labels = _feature_label(frame, layer if layer in LAYER_BY_NAME else None)
    rows = []
    for label, geom in zip(labels, frame.geometry):
        if geom is None or not geom.intersects(site):
            continue
        area = shapely.intersection(site, shapely.make_valid(geom)).area
        if area > MIN_OVERLAP_M2:
            rows.append({"layer": layer, "title": title, "feature": label, "overlap_m2": round(area, 1),
                         "share": round(area / site.area, 4)})
    return rows


def check_site(layers: Path, site: shapely.Geometry, extra: list[tuple[str, Path]] = ()) -> SiteCheck:
    """Check ``site`` (a polygon in EPSG:4548) against the layers and the user's ``extra`` (title, file)."""
    if site.geom_type not in ("Polygon", "MultiPolygon") or site.area <= 0:
        raise InputError("新址应为面（Polygon）", field="geometry")
    rows = []
    for name in CHECKED_LAYERS:
        rows += _overlaps(site, gpkg.read_layer(layers, name), name, LAYER_BY_NAME[name].title)
    for title, path in extra:
        frame = to_storage_crs(read_source(Path(path), None), None, Path(path))
        rows += _overlaps(site, frame.to_crs(STORAGE_CRS), Path(path).stem, title)
    conflicts = pd.DataFrame(rows, columns=["layer", "title", "feature", "overlap_m2", "share"])
    return SiteCheck(round(site.area, 1), conflicts)


def read_site(path: Path, crs: str | None = None) -> shapely.Geometry:
    """The proposed site: the union of the polygons in a file, in EPSG:4548."""
    frame = to_storage_crs(read_source(Path(path), None), crs, Path(path))
    polygons = [g for g in frame.geometry if g is not None and g.geom_type in ("Polygon", "MultiPolygon")]
    if not polygons:
        raise InputError("新址文件中没有面", file=str(path))
    for i, geom in enumerate(polygons, start=1):
        if not geom.is_valid:
            raise InputError(f"面不合法：{shapely.is_valid_reason(geom)}", file=str(path), row=i)
    return shapely.union_all(polygons)
