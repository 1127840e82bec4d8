"""Colours and symbols of every layer — read from the layer records of :mod:`gis.schema`.

QGIS styles (:mod:`gis.layers.qgis_styles`), the web maps and the printouts all
draw from the same records, so a grid looks the same in QGIS, in the browser
and on paper.  Each :class:`~gis.schema.Layer` carries its :class:`Style`
(a layer cannot be declared without one); enumerations carry their colours
(:class:`~gis.schema.Term`).  The tables below are views kept for the code
that reads them by name.
"""

from __future__ import annotations

from gis.schema import DUTIES, HAZARD_TYPES, LAYERS, OTHER_TOWN_COLOUR, TOWN_NAMES, Style

__all__ = ["CASE_COLOURS", "CJK_FONT_FAMILY", "HAZARD_COLOURS", "LAYER_STYLES", "OTHER_TOWN_COLOUR", "Style",
           "TOWN_COLOURS", "style_of"]

TOWN_COLOURS = TOWN_NAMES.colours
HAZARD_COLOURS = HAZARD_TYPES.colours
LAYER_STYLES: dict[str, Style] = {layer.name: layer.style for layer in LAYERS}

CJK_FONT_FAMILY = "Noto Sans CJK SC"

# case categories (the duties): web markers and printout symbols
CASE_COLOURS = DUTIES.colours


def style_of(layer) -> Style:
    """The style of a layer record (or of the layer of that name)."""
    if isinstance(layer, str):
        from gis.schema import LAYER_BY_NAME

        layer = LAYER_BY_NAME[layer]
    return layer.style
