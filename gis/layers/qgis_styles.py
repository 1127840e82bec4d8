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

import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pyogrio
import pyogrio.errors
from pyproj import CRS
from pyproj.enums import WktVersion

from gis.schema import LAYERS, STORAGE_CRS, Layer, Style
from gis.layers.gpkg import dem_path
from gis.layers.styles import CJK_FONT_FAMILY

QGIS_VERSION = "3.22.16-Białowieża"
STYLE_NAME = "miyun"
_GEOMETRY_INDEX = {"point": 0, "line": 1, "polygon": 2}
_SYMBOL_TYPE = {"point": "marker", "line": "line", "polygon": "fill"}
_LABEL_PLACEMENT = {"point": "0", "line": "2", "polygon": "1"}


def _kind(geometry: str) -> str:
    """'point', 'line' or 'polygon' for an OGC geometry type name (single or multi)."""
    name = geometry.lower().removeprefix("multi")
    return {"point": "point", "linestring": "line", "polygon": "polygon"}[name]


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
    symbol = ET.Element("symbol", type=_SYMBOL_TYPE[_kind(layer.geometry)], name=name, alpha="1",
                        clip_to_extent="1", force_rhr="0")
    sl = ET.SubElement(symbol, "layer", {"enabled": "1", "locked": "0", "pass": "0"})
    fill = fill or style.fill
    if _kind(layer.geometry) == "polygon":
        sl.set("class", "SimpleFill")
        _options(sl, {
            "color": _rgba(fill or "#ffffff", style.fill_opacity if fill else 0.0),
            "style": "solid" if fill and style.fill_opacity > 0 else "no",
            "outline_color": _rgba(style.stroke), "outline_width": style.width_mm,
            "outline_width_unit": "MM", "outline_style": "dash" if style.dash else "solid",
            "joinstyle": "round",
        })
    elif _kind(layer.geometry) == "line":
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
    ET.SubElement(settings, "placement", placement=_LABEL_PLACEMENT[_kind(layer.geometry)], dist="1",
                  distUnits="MM", placementFlags="10")
    ET.SubElement(settings, "rendering", obstacle="1", displayAll="0", scaleVisibility="0",
                  labelPerPart="0", mergeLines="1" if _kind(layer.geometry) == "line" else "0")
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
    geometry_type.text = str(_GEOMETRY_INDEX[_kind(layer.geometry)])
    children.append(geometry_type)
    return children


def qml(layer: Layer) -> str:
    """A QGIS style file for one layer."""
    root = ET.Element("qgis", version=QGIS_VERSION, styleCategories="AllStyleCategories",
                      labelsEnabled="1" if layer.label_field else "0")
    root.extend(style_children(layer))
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + ET.tostring(root, encoding="unicode")


def _style_row(layer: Layer) -> dict:
    return {
        "f_table_catalog": "", "f_table_schema": "", "f_table_name": layer.name,
        "f_geometry_column": "geom", "styleName": STYLE_NAME, "styleQML": qml(layer), "styleSLD": "",
        "useAsDefault": True, "description": f"{layer.title}（miyun-gis 默认样式）", "owner": "",
        "ui": "", "update_time": "2022-04-21T00:00:00.000Z",
    }


def _write_styles_table(gpkg: Path, layers) -> None:
    present = {name for name, _ in pyogrio.list_layers(gpkg)}
    rows = [_style_row(layer) for layer in layers if layer.name in present]
    pyogrio.write_dataframe(pd.DataFrame(rows), gpkg, layer="layer_styles", driver="GPKG",
                            layer_options={"OVERWRITE": "YES"})


def write_layer_styles(gpkg: Path) -> None:
    """(Re)write the ``layer_styles`` table with the default style of every layer."""
    _write_styles_table(gpkg, LAYERS)


def write_output_styles(gpkg: Path, layers: list[Layer]) -> None:
    """The ``layer_styles`` table of a product output GeoPackage (export, reconciliation): each layer's
    default style from its record."""
    _write_styles_table(gpkg, layers)


def spatialrefsys(authid: str) -> ET.Element:
    """A CRS as QGIS 3.22 writes it (WKT first: QGIS trusts it over its own srs.db ids)."""
    crs = CRS.from_user_input(authid)
    element = ET.Element("spatialrefsys", nativeFormat="Wkt")
    ET.SubElement(element, "wkt").text = crs.to_wkt(WktVersion.WKT2_2019)
    with warnings.catch_warnings():  # PROJ strings lose detail; QGIS reads the WKT, this is its fallback
        warnings.simplefilter("ignore", UserWarning)
        ET.SubElement(element, "proj4").text = crs.to_proj4()
    ET.SubElement(element, "srid").text = authid.split(":")[1]
    ET.SubElement(element, "authid").text = authid
    ET.SubElement(element, "description").text = crs.name
    ET.SubElement(element, "projectionacronym").text = "tmerc" if crs.is_projected else "longlat"
    ET.SubElement(element, "geographicflag").text = "true" if crs.is_geographic else "false"
    return element


def _extent_element(parent: ET.Element, tag: str, extent) -> None:
    box = ET.SubElement(parent, tag)
    for name, value in zip(("xmin", "ymin", "xmax", "ymax"), extent):
        ET.SubElement(box, name).text = f"{value:.3f}"


def _full_extent(gpkg: Path, margin: float = 0.03) -> tuple[float, float, float, float] | None:
    """The district's extent in the storage CRS (from the layers' own extents), a little margin round it."""
    try:
        infos = [pyogrio.read_info(gpkg, layer=name) for name, _ in pyogrio.list_layers(gpkg)
                 if name in {layer.name for layer in LAYERS}]
    except (OSError, pyogrio.errors.DataSourceError):
        return None
    boxes = [info["total_bounds"] for info in infos if info.get("total_bounds") is not None]
    if not boxes:
        return None
    x1, y1 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    x2, y2 = max(b[2] for b in boxes), max(b[3] for b in boxes)
    dx, dy = (x2 - x1) * margin, (y2 - y1) * margin
    return x1 - dx, y1 - dy, x2 + dx, y2 + dy


def write_project(gpkg: Path, title: str = "密云水库保水网格") -> Path:
    """A QGIS project beside ``gpkg`` opening every layer (and the DEM hillshade), relative paths."""
    gpkg = Path(gpkg)
    root = ET.Element("qgis", projectname=title, version=QGIS_VERSION)
    ET.SubElement(root, "homePath", path="")
    ET.SubElement(root, "title").text = title
    ET.SubElement(root, "projectCrs").append(spatialrefsys(STORAGE_CRS))
    extent = _full_extent(gpkg)
    if extent is not None:  # the view a project opens at: the whole district, at a sensible scale
        canvas = ET.SubElement(root, "mapcanvas", name="theMapCanvas")
        ET.SubElement(canvas, "units").text = "meters"
        _extent_element(canvas, "extent", extent)
        ET.SubElement(canvas, "rotation").text = "0"
        ET.SubElement(canvas, "destinationsrs").append(spatialrefsys(STORAGE_CRS))
        view = ET.SubElement(root, "ProjectViewSettings", UseProjectScales="0", rotation="0")
        ET.SubElement(view, "Scales")
        default = ET.SubElement(view, "DefaultViewExtent", xmin=str(extent[0]), ymin=str(extent[1]),
                                xmax=str(extent[2]), ymax=str(extent[3]))
        default.append(spatialrefsys(STORAGE_CRS))
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
        ET.SubElement(ml, "srs").append(spatialrefsys(STORAGE_CRS))
        ET.SubElement(ml, "provider", encoding="UTF-8").text = "ogr"
        ml.extend(style_children(layer))
    dem = dem_path(gpkg)
    ET.SubElement(tree, "layer-tree-layer", id="dem_hillshade", name="地形晕渲（DEM）", source=f"./{dem.name}",
                  providerKey="gdal", checked="Qt::Checked", expanded="0")
    ml = ET.SubElement(layers_el, "maplayer", type="raster")
    ET.SubElement(ml, "id").text = "dem_hillshade"
    ET.SubElement(ml, "datasource").text = f"./{dem.name}"
    ET.SubElement(ml, "layername").text = "地形晕渲（DEM）"
    ET.SubElement(ml, "srs").append(spatialrefsys(STORAGE_CRS))
    ET.SubElement(ml, "provider").text = "gdal"
    pipe = ET.SubElement(ml, "pipe")
    ET.SubElement(pipe, "rasterrenderer", type="hillshade", band="1", opacity="0.6", azimuth="315",
                  angle="45", zfactor="1", multidirection="0", alphaBand="-1")
    properties = ET.SubElement(root, "properties")
    ET.SubElement(ET.SubElement(properties, "Paths"), "Absolute", type="bool").text = "false"
    # QGIS 3.22 reads <projectCrs> only when this says projections are on; without it the project has no CRS
    srs_properties = ET.SubElement(properties, "SpatialRefSys")
    ET.SubElement(srs_properties, "ProjectionsEnabled", type="int").text = "1"
    ET.SubElement(srs_properties, "ProjectCrs", type="QString").text = STORAGE_CRS
    units = ET.SubElement(properties, "Measurement")
    ET.SubElement(units, "DistanceUnits", type="QString").text = "meters"
    ET.SubElement(units, "AreaUnits", type="QString").text = "m2"
    out = project_path(gpkg)
    text = "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + ET.tostring(root, encoding="unicode")
    out.write_text(text, encoding="utf-8")
    return out
