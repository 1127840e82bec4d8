"""QGIS styles and project for the reference layers — written without QGIS.

- Each layer's style (symbols from its record in :mod:`gis.schema`, Chinese labels, field
  aliases) as QML, stored in the GeoPackage's ``layer_styles`` table, which
  QGIS reads when a layer is opened: layers open styled in any project.
- A project (``miyun.qgs`` beside the GeoPackage) that opens every layer in
  drawing order over a hillshade of the DEM, with relative paths, so the
  folder can be copied to an officer's machine as it is.

The XML follows what QGIS 3.22 writes; a test loads it in real QGIS.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pyogrio

from gis.schema import LAYERS, STORAGE_CRS, Layer, Style
from gis.store import dem_path
from gis.styles import CJK_FONT_FAMILY

QGIS_VERSION = "3.22.16-Białowieża"
STYLE_NAME = "miyun"
_GEOMETRY_INDEX = {"Point": 0, "MultiLineString": 1, "MultiPolygon": 2}
_SYMBOL_TYPE = {"Point": "marker", "MultiLineString": "line", "MultiPolygon": "fill"}
_LABEL_PLACEMENT = {"Point": "0", "MultiLineString": "2", "MultiPolygon": "1"}


def project_path(gpkg: str | Path) -> Path:
    """The QGIS project kept beside a GeoPackage: ``layers/miyun.gpkg`` → ``layers/miyun.qgs``."""
    return Path(gpkg).with_suffix(".qgs")


def _rgba(hex_colour: str, opacity: float = 1.0) -> str:
    h = hex_colour.lstrip("#")
    return f"{int(h[0:2], 16)},{int(h[2:4], 16)},{int(h[4:6], 16)},{round(255 * opacity)}"


def _options(parent: ET.Element, values: dict[str, str]) -> None:
    mapping = ET.SubElement(parent, "Option", type="Map")
    for key, value in values.items():
        ET.SubElement(mapping, "Option", name=key, type="QString", value=str(value))


def _symbol(layer: Layer, style: Style, name: str, fill: str | None = None) -> ET.Element:
    symbol = ET.Element("symbol", type=_SYMBOL_TYPE[layer.geometry], name=name, alpha="1",
                        clip_to_extent="1", force_rhr="0")
    sl = ET.SubElement(symbol, "layer", {"enabled": "1", "locked": "0", "pass": "0"})
    fill = fill or style.fill
    if layer.geometry == "MultiPolygon":
        sl.set("class", "SimpleFill")
        _options(sl, {
            "color": _rgba(fill or "#ffffff", style.fill_opacity if fill else 0.0),
            "style": "solid" if fill and style.fill_opacity > 0 else "no",
            "outline_color": _rgba(style.stroke), "outline_width": style.width_mm,
            "outline_width_unit": "MM", "outline_style": "dash" if style.dash else "solid",
            "joinstyle": "round",
        })
    elif layer.geometry == "MultiLineString":
        sl.set("class", "SimpleLine")
        _options(sl, {
            "line_color": _rgba(style.stroke), "line_width": style.width_mm, "line_width_unit": "MM",
            "line_style": "dash" if style.dash else "solid", "capstyle": "round", "joinstyle": "round",
        })
    else:
        sl.set("class", "SimpleMarker")
        _options(sl, {
            "name": style.marker, "color": _rgba(fill or "#ffffff"), "outline_color": _rgba(style.stroke),
            "outline_width": "0.3", "outline_width_unit": "MM", "size": style.size_mm, "size_unit": "MM",
        })
    return symbol


def _renderer(layer: Layer) -> ET.Element:
    style = layer.style
    if not layer.category_colours:
        renderer = ET.Element("renderer-v2", type="singleSymbol", symbollevels="0", enableorderby="0",
                              forceraster="0")
        ET.SubElement(renderer, "symbols").append(_symbol(layer, style, "0"))
        return renderer
    colours, labels = layer.category_colours, layer.category_labels
    renderer = ET.Element("renderer-v2", type="categorizedSymbol", attr=layer.colour_by, symbollevels="0",
                          enableorderby="0", forceraster="0")
    cats = ET.SubElement(renderer, "categories")
    symbols = ET.SubElement(renderer, "symbols")
    for i, (value, colour) in enumerate(colours.items()):
        ET.SubElement(cats, "category", symbol=str(i), value=value, label=labels[value], render="true")
        symbols.append(_symbol(layer, style, str(i), fill=colour))
    return renderer


def _labeling(layer: Layer) -> ET.Element:
    style = layer.style
    labeling = ET.Element("labeling", type="simple")
    settings = ET.SubElement(labeling, "settings", calloutType="simple")
    text = ET.SubElement(settings, "text-style", fieldName=layer.label_field, isExpression="0",
                         fontFamily=CJK_FONT_FAMILY, fontSize=str(style.label_size_pt), fontSizeUnit="Point",
                         textColor="0,0,0,255", textOpacity="1", namedStyle="Regular", fontWeight="50")
    ET.SubElement(text, "text-buffer", bufferDraw="1", bufferSize="0.8", bufferSizeUnits="MM",
                  bufferColor="255,255,255,255", bufferOpacity="1", bufferJoinStyle="128")
    ET.SubElement(settings, "placement", placement=_LABEL_PLACEMENT[layer.geometry], dist="1",
                  distUnits="MM", placementFlags="10")
    ET.SubElement(settings, "rendering", obstacle="1", displayAll="0", scaleVisibility="0",
                  labelPerPart="0", mergeLines="1" if layer.geometry == "MultiLineString" else "0")
    return labeling


def style_children(layer: Layer) -> list[ET.Element]:
    """The elements a QML file and a project's <maplayer> share."""
    children = [_renderer(layer)]
    if layer.label_field:
        children.append(_labeling(layer))
    aliases = ET.Element("aliases")
    for i, field in enumerate(layer.fields):
        ET.SubElement(aliases, "alias", field=field.name, index=str(i), name=field.alias)
    children.append(aliases)
    geometry_type = ET.Element("layerGeometryType")
    geometry_type.text = str(_GEOMETRY_INDEX[layer.geometry])
    children.append(geometry_type)
    return children


def qml(layer: Layer) -> str:
    """A QGIS style file for one layer."""
    root = ET.Element("qgis", version=QGIS_VERSION, styleCategories="AllStyleCategories",
                      labelsEnabled="1" if layer.label_field else "0")
    root.extend(style_children(layer))
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + ET.tostring(root, encoding="unicode")


def write_layer_styles(gpkg: Path) -> None:
    """(Re)write the ``layer_styles`` table with the default style of every layer."""
    present = {name for name, _ in pyogrio.list_layers(gpkg)}
    rows = [{
        "f_table_catalog": "", "f_table_schema": "", "f_table_name": layer.name,
        "f_geometry_column": "geom", "styleName": STYLE_NAME, "styleQML": qml(layer), "styleSLD": "",
        "useAsDefault": True, "description": f"{layer.title}（miyun-gis 默认样式）", "owner": "",
        "ui": "", "update_time": "2022-04-21T00:00:00.000Z",
    } for layer in LAYERS if layer.name in present]
    pyogrio.write_dataframe(pd.DataFrame(rows), gpkg, layer="layer_styles", driver="GPKG",
                            layer_options={"OVERWRITE": "YES"})


def write_project(gpkg: Path, title: str = "密云水库保水网格") -> Path:
    """A QGIS project beside ``gpkg`` opening every layer (and the DEM hillshade), relative paths."""
    gpkg = Path(gpkg)
    root = ET.Element("qgis", projectname=title, version=QGIS_VERSION)
    ET.SubElement(root, "homePath", path="")
    ET.SubElement(root, "title").text = title
    crs = ET.SubElement(ET.SubElement(root, "projectCrs"), "spatialrefsys")
    ET.SubElement(crs, "authid").text = STORAGE_CRS
    tree = ET.SubElement(root, "layer-tree-group")
    layers_el = ET.SubElement(root, "projectlayers")
    present = {name for name, _ in pyogrio.list_layers(gpkg)} if gpkg.exists() else {layer.name for layer in LAYERS}
    ordered = sorted((layer for layer in LAYERS if layer.name in present), key=lambda layer: -layer.draw_order)
    for layer in ordered:
        source = f"./{gpkg.name}|layername={layer.name}"
        ET.SubElement(tree, "layer-tree-layer", id=f"{layer.name}_layer", name=layer.title, source=source,
                      providerKey="ogr", checked="Qt::Checked", expanded="0")
        ml = ET.SubElement(layers_el, "maplayer", type="vector", wkbType=layer.geometry,
                           labelsEnabled="1" if layer.label_field else "0")
        ET.SubElement(ml, "id").text = f"{layer.name}_layer"
        ET.SubElement(ml, "datasource").text = source
        ET.SubElement(ml, "layername").text = layer.title
        srs = ET.SubElement(ET.SubElement(ml, "srs"), "spatialrefsys")
        ET.SubElement(srs, "authid").text = STORAGE_CRS
        ET.SubElement(ml, "provider", encoding="UTF-8").text = "ogr"
        ml.extend(style_children(layer))
    dem = dem_path(gpkg)
    ET.SubElement(tree, "layer-tree-layer", id="dem_hillshade", name="地形晕渲（DEM）", source=f"./{dem.name}",
                  providerKey="gdal", checked="Qt::Checked", expanded="0")
    ml = ET.SubElement(layers_el, "maplayer", type="raster")
    ET.SubElement(ml, "id").text = "dem_hillshade"
    ET.SubElement(ml, "datasource").text = f"./{dem.name}"
    ET.SubElement(ml, "layername").text = "地形晕渲（DEM）"
    srs = ET.SubElement(ET.SubElement(ml, "srs"), "spatialrefsys")
    ET.SubElement(srs, "authid").text = STORAGE_CRS
    ET.SubElement(ml, "provider").text = "gdal"
    pipe = ET.SubElement(ml, "pipe")
    ET.SubElement(pipe, "rasterrenderer", type="hillshade", band="1", opacity="0.6", azimuth="315",
                  angle="45", zfactor="1", multidirection="0", alphaBand="-1")
    props = ET.SubElement(ET.SubElement(root, "properties"), "Paths")
    ET.SubElement(props, "Absolute", type="bool").text = "false"
    out = project_path(gpkg)
    text = "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + ET.tostring(root, encoding="unicode")
    out.write_text(text, encoding="utf-8")
    return out
