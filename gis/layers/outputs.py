"""The GeoPackage layers the product writes for QGIS (case export, reconciliation, tracks export).

Each is a schema-like record (fields with Chinese aliases and types) with a QGIS default style:
cases by category in the legend's colours and labels, reconciliation results, track fixes by flag
and track lines by town.  :func:`write` gives every layer proper types (DATETIME in UTC, booleans),
its ``gpkg_data_columns`` aliases and its style, in one atomic write readable by Debian's GDAL 3.6
and QGIS 3.22.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import pandas as pd

from gis.schema import (
    CASE_COLUMNS,
    CASE_LABEL_COLUMNS,
    DUTIES,
    RECONCILE_CASE_COLUMNS,
    RECONCILE_CLUE_COLUMNS,
    RECONCILE_RESULTS,
    TOWN_NAMES,
    TRACK_FIX_COLUMNS,
    TRACK_FLAGS,
    TRACK_LINE_COLUMNS,
    Field,
    Layer,
    Style,
    Term,
    Vocabulary,
)

# column → type where it is not text; 'datetime' is stored as GeoPackage DATETIME (UTC)
_TYPES = {
    "reported_at": "datetime", "time": "datetime", "first_fix": "datetime", "last_fix": "datetime",
    "in_zone_l1": "bool", "in_river_corridor": "bool", "synthetic": "bool",
    "area_m2": "float", "lon": "float", "lat": "float", "accuracy_m": "float", "distance_km": "float",
    "version": "int", "fixes": "int", "flagged": "int",
}
# the legend's colours and short labels (the web map and printouts draw cases so)
CASE_CATEGORIES = Vocabulary(*(Term(t.key, t.short_label, colour=t.colour) for t in DUTIES.terms))
_RESULT_COLOURS = {"matched": "#1a9850", "matched_earlier": "#91cf60", "missing_from_ledger": "#d73027",
                   "not_in_clues": "#fc8d59"}
RECONCILE_TERMS = Vocabulary(*(Term(label, label, colour=_RESULT_COLOURS[key])  # the column holds the labels
                               for key, label in RECONCILE_RESULTS.items()))
_FLAG_COLOURS = {"": "#2171b5", "accuracy": "#fdae61", "jump": "#d7191c"}
FLAG_TERMS = Vocabulary(*(Term(key, label, colour=_FLAG_COLOURS[key]) for key, label in TRACK_FLAGS.items()))
_TERMS = {"category": CASE_CATEGORIES, "result": RECONCILE_TERMS, "flag": FLAG_TERMS, "town": TOWN_NAMES}


def _record(name: str, geometry: str, title: str, columns: Mapping[str, str], description: str, *,
            style: Style, colour_by: str | None = None) -> Layer:
    fields = tuple(Field(name=column, dtype=_TYPES.get(column, "str"), alias=alias, required=False,
                         terms=_TERMS.get(column) if column == colour_by else None)
                   for column, alias in columns.items())
    return Layer(name=name, geometry=geometry, title=title, editor="miyun-gis", description=description,
                 fields=fields, style=style, colour_by=colour_by, shown_in=frozenset())


_CASES = {**CASE_COLUMNS, **CASE_LABEL_COLUMNS}
_POINT = Style(stroke="#333333", marker="circle", size_mm=3.0, fill="#ffffff")

CASE_POINTS = _record("cases_points", "Point", "案件（点）", _CASES, "Cases located by a point.",
                      style=_POINT, colour_by="category")
CASE_AREAS = _record("cases_areas", "MultiPolygon", "案件（面）", _CASES, "Cases with an outline.",
                     style=Style(stroke="#333333", width_mm=0.4, fill="#ffffff", fill_opacity=0.5), colour_by="category")
RECONCILE_CLUES = _record("reconcile_clues", "MultiPolygon", "卫片线索比对", RECONCILE_CLUE_COLUMNS,
                          "Satellite clues, compared with the ledger.", colour_by="result",
                          style=Style(stroke="#333333", width_mm=0.4, fill="#ffffff", fill_opacity=0.6,
                                      marker="square", size_mm=3.0))
RECONCILE_LEDGER = _record("reconcile_ledger", "Point", "巡查台账比对", {**CASE_COLUMNS, **RECONCILE_CASE_COLUMNS},
                           "The towns' ledger cases, compared with the clues.", style=_POINT, colour_by="result")
TRACK_FIXES = _record("track_fixes", "Point", "轨迹定位点", TRACK_FIX_COLUMNS, "Every stored fix; flag '' is a good fix.",
                      style=Style(stroke="#08306b", marker="circle", size_mm=1.0, fill="#2171b5"), colour_by="flag")
TRACK_LINES = _record("track_lines", "LineString", "巡查轨迹（每人每日）", TRACK_LINE_COLUMNS,
                      "Each staff member's day as one line through the good fixes.",
                      style=Style(stroke="#08519c", width_mm=0.5), colour_by="town")


def typed(frame: gpd.GeoDataFrame, record: Layer) -> gpd.GeoDataFrame:
    """The record's columns in the record's order, with GeoPackage types: UTC datetimes, booleans, numbers."""
    frame = frame.copy()
    for f in record.fields:
        if f.name not in frame:
            continue
        column = frame[f.name]
        if f.dtype == "datetime":
            frame[f.name] = pd.to_datetime(column, utc=True, errors="coerce")
        elif f.dtype == "bool":
            frame[f.name] = column.astype(object).where(column.notna(), False).astype(bool)
        elif f.dtype in ("float", "int"):
            frame[f.name] = pd.to_numeric(column, errors="coerce")
        elif isinstance(column.dtype, pd.CategoricalDtype) or column.dtype == object:
            frame[f.name] = column.astype(object).where(column.notna(), None).map(
                lambda v: v if v is None or isinstance(v, str) else str(v))
    known = [f.name for f in record.fields if f.name in frame]
    extra = [c for c in frame.columns if c not in known and c != frame.geometry.name]
    return frame[known + extra + [frame.geometry.name]]


def write(path: Path, parts: Mapping[str, tuple[Layer, gpd.GeoDataFrame]]) -> Path:
    """Write the layers (name → (record, frame)) as one styled GeoPackage, atomically."""
    from gis.layers.qgis_styles import write_output_styles
    from gis.layers.gpkg import write_output_gpkg

    layers = {name: (record.title, typed(frame, record)) for name, (record, frame) in parts.items()}
    aliases = {name: {f.name: f.alias for f in record.fields} for name, (record, _frame) in parts.items()}
    styled = [_as_written(record, name, frame) for name, (record, frame) in parts.items()]
    return write_output_gpkg(path, layers, aliases=aliases, finish=lambda tmp: write_output_styles(tmp, styled))


def _as_written(layer: Layer, name: str, frame: gpd.GeoDataFrame) -> Layer:
    """The record under the name and geometry type written (reconciliation clues may be points or polygons)."""
    kinds = frame.geometry.geom_type.dropna()
    geometry = kinds.mode().iloc[0] if len(kinds) else layer.geometry
    return replace(layer, name=name, geometry=geometry)
