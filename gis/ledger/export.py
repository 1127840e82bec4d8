"""The case ledger as layers QGIS opens styled: a layer per geometry type, cases by category in the
legend's colours and labels, Chinese aliases, report times as UTC DATETIME, flags as booleans."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd

from gis.layers import outputs
from gis.ledger.cases import Cases
from gis.localtime import local_text
from gis.schema import CASE_STATUSES, DUTIES, STORAGE_CRS


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
    parts = {"cases_points": (outputs.CASE_POINTS, layer.loc[points]),
             "cases_areas": (outputs.CASE_AREAS, layer.loc[~points])}
    outputs.write(path, {name: part for name, part in parts.items() if len(part[1])} or
                        {"cases_points": (outputs.CASE_POINTS, layer)})
    return len(layer)
