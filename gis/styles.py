"""Colours and symbols of every layer, defined once.

QGIS styles (:mod:`gis.qgis_styles`), the web maps and the printouts all
draw from this table, so a grid looks the same in QGIS, in the browser and
on paper.  Colours are hex strings; widths are millimetres on paper (the web
converts them to pixels).
"""

from __future__ import annotations

from dataclasses import dataclass

from gis.schema import TOWN_QUOTAS


@dataclass(frozen=True)
class Style:
    stroke: str
    width_mm: float = 0.3
    fill: str | None = None  # None: no fill (lines, hollow polygons)
    fill_opacity: float = 1.0
    dash: bool = False
    marker: str = "circle"  # points: circle, square, triangle
    size_mm: float = 2.0
    label_size_pt: float = 8.0


TOWN_COLOURS = dict(zip(
    [q.name for q in TOWN_QUOTAS],
    ["#1f78b4", "#e31a1c", "#33a02c", "#ff7f00", "#6a3d9a", "#b15928", "#a6761d", "#e7298a"],
))
OTHER_TOWN_COLOUR = "#bdbdbd"

HAZARD_COLOURS = {"geohazard": "#d7301f", "flood": "#2b8cbe", "poor_conditions": "#8c6bb1"}

LAYER_STYLES: dict[str, Style] = {
    "district": Style(stroke="#525252", width_mm=0.6, dash=True),
    "towns": Style(stroke="#969696", width_mm=0.3, fill="#f7f7f7", fill_opacity=0.0, dash=True, label_size_pt=10),
    "reservoir": Style(stroke="#2171b5", width_mm=0.2, fill="#9ecae1"),
    "zone_l1": Style(stroke="#fd8d3c", width_mm=0.2, fill="#fdd0a2", fill_opacity=0.6),
    "river_corridors": Style(stroke="#41b6c4", width_mm=0.2, fill="#c7e9b4", fill_opacity=0.6),
    "contour_155m": Style(stroke="#d94801", width_mm=0.5),
    "rivers": Style(stroke="#0868ac", width_mm=0.6, label_size_pt=9),
    "fence": Style(stroke="#54278f", width_mm=0.4, dash=True),
    "grids": Style(stroke="#252525", width_mm=0.3, fill="#ffffff", fill_opacity=0.35),
    "hazard_zones": Style(stroke="#d7301f", width_mm=0.3, fill="#fc9272", fill_opacity=0.45),
    "boundary_markers": Style(stroke="#7f2704", marker="square", size_mm=1.4, fill="#fdae6b", label_size_pt=6),
    "fence_gates": Style(stroke="#3f007d", marker="triangle", size_mm=2.6, fill="#9e9ac8", label_size_pt=7),
    "villages": Style(stroke="#4d4d4d", marker="circle", size_mm=1.8, fill="#ffffff", label_size_pt=7),
}

CJK_FONT_FAMILY = "Noto Sans CJK SC"

# case categories (the ten duties): web markers and printout symbols
CASE_COLOURS = dict(zip(
    ["forest_mineral", "fire", "planting", "fence", "markers", "river", "grazing", "construction", "sewage",
     "sanitation"],
    ["#1b9e77", "#e41a1c", "#66a61e", "#7570b3", "#a6761d", "#1f78b4", "#e6ab02", "#d95f02", "#666666", "#e7298a"],
))
