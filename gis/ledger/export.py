"""The case ledger as layers QGIS opens: point cases and polygon cases, Chinese labels."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd

from gis.ledger.cases import Cases
from gis.localtime import local_text
from gis.schema import CASE_STATUSES, DUTIES, STORAGE_CRS
from gis.store import write_output_gpkg


def cases_layer(cases: Cases, **filters) -> gpd.GeoDataFrame:
    """Cases with their geometry (EPSG:4548) and Chinese labels for status and category."""
    frame = cases.frame(**filters)
    layer = gpd.GeoDataFrame(frame, geometry=cases.geometries(frame), crs=STORAGE_CRS)
    layer["status_cn"] = layer["status"].map(CASE_STATUSES)
    layer["category_cn"] = layer["category"].map(DUTIES.short)
    layer["reported_local"] = layer["reported_at"].map(local_text)
    return layer


def export_cases(cases: Cases, path: Path) -> int:
    layer = cases_layer(cases)
    points = layer.geometry.geom_type == "Point"
    parts = {"cases_points": ("案件（点）", layer.loc[points]), "cases_areas": ("案件（面）", layer.loc[~points])}
    write_output_gpkg(path, {name: part for name, part in parts.items() if len(part[1])} or
                      {"cases_points": ("案件（点）", layer)})
    return len(layer)
