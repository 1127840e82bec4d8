"""Folium pages for managers — offline: every script and style comes from installed packages.

Folium's pages normally load Leaflet, jQuery, Bootstrap, Font Awesome and
plugins from CDNs and draw OpenStreetMap tiles; an office network with no
internet would show a blank page.  Here every asset is served by the app
from the XStatic packages (Leaflet 1.9.3, jQuery, Leaflet.markercluster) and
folium's own wheel; the basemap is a hillshade rendered from the DEM.
Colours come from :mod:`gis.styles`, shared with QGIS and the printouts.
"""

from __future__ import annotations

import html
import json
from importlib import resources
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import shapely
from branca.element import MacroElement
from folium.elements import JSCSSMixin
from jinja2 import Template

from gis.schema import DUTIES, GRID_KINDS, HAZARD_TYPES, SAMPLE_MARK, WEB_CRS
from gis.settings import Settings, get_settings
from gis.styles import CASE_COLOURS, HAZARD_COLOURS, LAYER_STYLES, TOWN_COLOURS
from maps.basemap import add_basemap

STATIC_PREFIX = "/static"


def asset_dirs() -> dict[str, Path]:
    """URL folder name → folder of an installed package holding the files."""
    import xstatic.pkg.jquery as jquery
    import xstatic.pkg.leaflet as leaflet
    import xstatic.pkg.leaflet_markercluster as markercluster

    return {
        "leaflet": Path(leaflet.BASE_DIR),
        "jquery": Path(jquery.BASE_DIR),
        "markercluster": Path(markercluster.BASE_DIR),
        "folium": Path(str(resources.files("folium") / "templates")),
        "miyun": Path(__file__).with_name("static"),
    }


LOCAL_JS = [("leaflet", f"{STATIC_PREFIX}/leaflet/leaflet.js"),
            ("jquery", f"{STATIC_PREFIX}/jquery/jquery.min.js")]
LOCAL_CSS = [("leaflet_css", f"{STATIC_PREFIX}/leaflet/leaflet.css")]


def _offline(element) -> None:
    """Point an element's scripts and styles at the app's own copies."""
    element.default_js = LOCAL_JS
    element.default_css = LOCAL_CSS


class DynamicLayer(JSCSSMixin, MacroElement):
    """Data the page fetches from the app when it opens (cases, patrols, staff): ``miyun.<kind>(map,
    layer control, options)`` from ``maps/static/miyun.js``.  Pages stay cacheable per layer version
    while the ledger and the tracks change."""

    _template = Template("""{% macro script(this, kwargs) %}
        miyun.{{ this.kind }}({{ this._parent.get_name() }}, {{ this.control.get_name() }}, {{ this.options }});
    {% endmacro %}""")
    default_js = [("markercluster", f"{STATIC_PREFIX}/markercluster/leaflet.markercluster.js"),
                  ("leaflet_heat", f"{STATIC_PREFIX}/folium/leaflet_heat.min.js"),
                  ("miyun", f"{STATIC_PREFIX}/miyun/miyun.js"),
                  ("vectorgrid", f"{STATIC_PREFIX}/miyun/vendor/leaflet.vectorgrid/Leaflet.VectorGrid.bundled.min.js"),
                  ("miyun_tiles", f"{STATIC_PREFIX}/miyun/patrol_tiles.js")]
    default_css = [("markercluster_css", f"{STATIC_PREFIX}/markercluster/MarkerCluster.css"),
                   ("markercluster_default_css", f"{STATIC_PREFIX}/markercluster/MarkerCluster.Default.css")]

    def __init__(self, kind: str, control: folium.LayerControl, options: dict):
        super().__init__()
        self._name = "DynamicLayer"
        self.kind = kind
        self.control = control
        self.options = json.dumps(options, ensure_ascii=False).replace("</", "<\\/")


def case_options(**extra) -> dict:
    """Labels and colours of the case categories for the page scripts."""
    return {"labels": {k: v.split("：")[0] for k, v in DUTIES.items()}, "colours": CASE_COLOURS, **extra}


OVERVIEW_TOLERANCE_M = 8.0  # what the page carries: right at the district's zoom levels
DETAIL_FROM_ZOOM = 14  # from here the page fetches the outlines in full detail for the view


def _geojson(frame: gpd.GeoDataFrame, columns: list[str], tolerance: float = OVERVIEW_TOLERANCE_M) -> dict:
    """Simplified (metres, in storage CRS) and rounded GeoJSON in EPSG:4326 — light pages."""
    light = frame[columns + [frame.geometry.name]].copy()
    if tolerance:
        light["geometry"] = shapely.simplify(light.geometry.array, tolerance, preserve_topology=True)
    light = light.to_crs(WEB_CRS)
    light["geometry"] = shapely.set_precision(light.geometry.array, 1e-6)
    return json.loads(light.to_json(drop_id=True))


def _line_style(name: str):
    s = LAYER_STYLES[name]
    return lambda _feature: {"color": s.stroke, "weight": max(1.0, s.width_mm * 4), "dashArray": "6 4" if s.dash else None}


def _poly_style(name: str, colour: str | None = None, opacity: float | None = None):
    s = LAYER_STYLES[name]
    fill = colour or s.fill or "#ffffff"
    return lambda _feature: {"color": s.stroke, "weight": max(0.6, s.width_mm * 3), "fillColor": fill,
                             "fillOpacity": s.fill_opacity if opacity is None else opacity,
                             "dashArray": "6 4" if s.dash else None}


def _hazard_style(feature) -> dict:
    s = LAYER_STYLES["hazard_zones"]
    return {"color": s.stroke, "weight": 1, "fillOpacity": 0.45,
            "fillColor": HAZARD_COLOURS.get(feature["properties"]["hazard_type"], s.fill)}


def _points(group, frame: gpd.GeoDataFrame, name: str, label: str, tooltip_fields: list[str]) -> None:
    s = LAYER_STYLES[name]
    web = frame.to_crs(WEB_CRS)
    for (_, row), geom in zip(web.iterrows(), web.geometry):
        tip = "<br>".join(html.escape(f"{row[f]}") for f in tooltip_fields)
        folium.CircleMarker([geom.y, geom.x], radius=s.size_mm * 2, color=s.stroke, weight=1, fill=True,
                            fill_color=s.fill, fill_opacity=0.9, tooltip=f"{label}<br>{tip}").add_to(group)


def overview(frames: dict[str, gpd.GeoDataFrame], *, sample: bool, hillshade: tuple[str, list] | None,
             focus: gpd.GeoSeries | None = None, page_title: str = "总览",
             dynamic: list[tuple[str, dict]] | tuple = (("cases", case_options(
                 url="/api/cases/geojson?open=true", cluster=True, title="未结案件")),),
             panel: str = "", settings: Settings | None = None) -> folium.Map:
    """The overview map: every layer in a layer control, grids coloured by town and labelled.

    With ``focus`` (geometries in storage CRS) the map opens fitted to them and draws them
    outlined on top: a town's or a grid's page.  ``dynamic`` names the data the page
    fetches when it opens (see :class:`DynamicLayer`); ``panel`` is extra HTML for the side panel.
    """
    settings = settings or get_settings()
    grids = frames["grids"]
    fit = focus if focus is not None else grids.geometry
    minx, miny, maxx, maxy = fit.to_crs(WEB_CRS).total_bounds
    m = folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], zoom_start=11, tiles=None, maxZoom=18,
                   prefer_canvas=True, control_scale=True)
    _offline(m)
    warning = add_basemap(m, settings, hillshade)
    layers = [
        ("towns", "乡镇", ["name", "in_programme", "quota_staff"], _poly_style("towns", opacity=0.0)),
        ("reservoir", "水库水面", ["name"], _poly_style("reservoir")),
        ("zone_l1", "一级保护区区管范围", ["name"], _poly_style("zone_l1")),
        ("river_corridors", "河道管护范围", ["river"], _poly_style("river_corridors")),
        ("hazard_zones", "隐患区", ["zone_id", "hazard_type", "level", "town"], None),
        ("contour_155m", "155米高程线", ["elevation_m"], _line_style("contour_155m")),
        ("rivers", "上游主河道", ["name", "length_m"], _line_style("rivers")),
        ("fence", "围网", ["fence_id"], _line_style("fence")),
    ]
    for name, title, fields, style in layers:
        frame = frames.get(name)
        if frame is None or frame.empty:
            continue
        if name == "hazard_zones":
            style = _hazard_style
        folium.GeoJson(_geojson(frame, fields), name=title, style_function=style,
                       tooltip=folium.GeoJsonTooltip(fields=fields)).add_to(m)
    grid_style = lambda f: {"color": "#252525", "weight": 1,  # noqa: E731
                            "fillColor": TOWN_COLOURS.get(f["properties"]["town"], "#999999"), "fillOpacity": 0.55}
    grid_data = _geojson(grids.assign(kind_cn=grids["kind"].map(GRID_KINDS)),
                         ["grid_id", "town", "kind_cn", "staff_quota", "area_m2"])
    folium.GeoJson(grid_data, name="保水网格", style_function=grid_style,
                   highlight_function=lambda _f: {"weight": 3, "color": "#000000"},
                   tooltip=folium.GeoJsonTooltip(["grid_id", "town", "kind_cn", "staff_quota"],
                                                 aliases=["网格", "镇", "类型", "保水员"]),
                   popup=folium.GeoJsonPopup(["grid_id", "town", "kind_cn", "staff_quota", "area_m2"],
                                             aliases=["网格编号", "镇", "类型", "保水员定额", "面积(平方米)"])).add_to(m)
    labels = folium.FeatureGroup(name="网格编号", show=True)
    for grid_id, geom in zip(grids["grid_id"], grids.to_crs(WEB_CRS).geometry):
        p = geom.representative_point()
        folium.Marker([p.y, p.x], icon=folium.DivIcon(
            html=f'<div class="grid-label">{html.escape(grid_id)}</div>', icon_size=(60, 14),
            icon_anchor=(30, 7))).add_to(labels)
    labels.add_to(m)
    for name, title, label, fields in (("fence_gates", "围网进出口", "进出口", ["gate_id", "name"]),
                                       ("boundary_markers", "155米界桩", "界桩", ["marker_id"]),
                                       ("villages", "村庄", "村庄", ["name", "code"])):
        group = folium.FeatureGroup(name=title, show=name != "boundary_markers")
        _points(group, frames[name], name, label, fields)
        group.add_to(m)
    if focus is not None:
        outline = gpd.GeoDataFrame(geometry=focus.values, crs=focus.crs)
        folium.GeoJson(_geojson(outline, []), name="关注范围", style_function=lambda _f: {
            "color": "#000000", "weight": 4, "fillOpacity": 0}).add_to(m)
    control = folium.LayerControl(collapsed=False)
    control.add_to(m)
    for kind, options in (*dynamic, ("detail", {"layers": ["grids", "zone_l1", "river_corridors"],
                                                 "minZoom": DETAIL_FROM_ZOOM})):
        DynamicLayer(kind, control, options).add_to(m)
    m.get_root().header.add_child(folium.Element(f"<title>密云水库保水网格 · {html.escape(page_title)}</title>"
                                                 + _page_css()))
    m.get_root().html.add_child(folium.Element(_legend_html(sample, warning, panel)))
    m.fit_bounds([[miny, minx], [maxy, maxx]])
    return m


def _page_css() -> str:
    return """<style>
.grid-label{font:11px sans-serif;color:#111;text-shadow:0 0 3px #fff,0 0 3px #fff;white-space:nowrap;text-align:center}
.miyun-panel{position:fixed;z-index:1000;background:rgba(255,255,255,.92);padding:8px 10px;border-radius:4px;
 font:13px sans-serif;box-shadow:0 1px 4px rgba(0,0,0,.3)}
.miyun-sample{top:10px;left:60px;color:#c00;font-weight:bold}
.miyun-legend{bottom:44px;left:10px}
.miyun-search{top:10px;left:260px}
.miyun-legend i,.miyun-side i{display:inline-block;width:14px;height:10px;margin-right:4px;border:1px solid #555}
.miyun-warning{top:50px;left:60px;color:#fff;background:#c00}
.miyun-side{bottom:24px;right:10px;max-width:280px}
.miyun-popup th{text-align:left;padding-right:6px;white-space:nowrap;vertical-align:top}
.miyun-popup td{word-break:break-all}
</style>"""


def _legend_html(sample: bool, warning: str | None = None, panel: str = "") -> str:
    towns = "".join(f'<div><i style="background:{c}"></i>{html.escape(t)}</div>' for t, c in TOWN_COLOURS.items())
    hazards = "".join(f'<div><i style="background:{HAZARD_COLOURS[k]}"></i>{v}</div>' for k, v in HAZARD_TYPES.items())
    banner = f'<div class="miyun-panel miyun-sample">{SAMPLE_MARK}</div>' if sample else ""
    if warning:
        banner += f'<div class="miyun-panel miyun-warning">{html.escape(warning)}</div>'
    side = (f'<div class="miyun-panel miyun-side">{panel}<div id="miyun-status"></div></div>')
    search = ('<form class="miyun-panel miyun-search" onsubmit="location.href=\'/maps/grids/\'+'
              'encodeURIComponent(this.q.value.trim().toUpperCase());return false;">'
              '<input name="q" placeholder="网格编号，如 XWZ-K05" size="16"> <button>查找</button></form>')
    links = ('<a href="/">总览</a> · <a href="/maps/cases">案件</a> · <a href="/maps/patrols">巡查</a> · '
             '<a href="/docs">接口 API</a>')
    return (f'{banner}{search}{side}<div class="miyun-panel miyun-legend"><b>图例</b>{towns}<hr style="margin:4px 0">'
            f'{hazards}<div style="margin-top:4px">{links}</div></div>')


def hillshade_png(dem_path: Path, out: Path, max_size: int = 1600) -> list[list[float]]:
    """Render the DEM's hillshade as a PNG (downsampled) and return its lon/lat bounds for Leaflet."""
    import rasterio
    from matplotlib.image import imsave
    from rasterio.enums import Resampling

    from gis import terrain
    from gis.crs import to_web

    with rasterio.open(dem_path) as src:
        factor = max(1, int(np.ceil(max(src.width, src.height) / max_size)))
        shape = (src.height // factor, src.width // factor)
        z = src.read(1, out_shape=shape, resampling=Resampling.average).astype("float32")
        transform = src.transform * src.transform.scale(src.width / shape[1], src.height / shape[0])
        bounds = src.bounds
    shade = terrain.hillshade(terrain.Dem(z, transform))
    out.parent.mkdir(parents=True, exist_ok=True)
    imsave(out, shade, cmap="gray", vmin=0, vmax=255)
    lon, lat = to_web(np.array([bounds.left, bounds.right]), np.array([bounds.bottom, bounds.top]))
    return [[float(lat.min()), float(lon.min())], [float(lat.max()), float(lon.max())]]
