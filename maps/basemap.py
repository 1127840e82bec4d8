"""The basemap of the web pages, as the user configured it (``MIYUN_BASEMAP``).

* ``hillshade`` (default): rendered from the DEM by the app itself — no request leaves the machine;
* ``none``: no basemap;
* ``tianditu``: 天地图 vector tiles and labels (CGCS2000, no offset) with the user's key
  (``MIYUN_TIANDITU_KEY``) — needs internet;
* any XYZ URL template (``http://tiles.office.local/{z}/{x}/{y}.png``), e.g. an office tile server.

A basemap declared GCJ-02 (``MIYUN_BASEMAP_CRS=gcj02``, as AMap and Tencent tiles are)
draws the WGS84/CGCS2000 layers a few hundred metres off; the pages then say so.
"""

from __future__ import annotations

import folium
import numpy as np

from gis.errors import InputError
from gis.settings import Settings

TIANDITU = ("http://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER={layer}"
            "&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={key}")
GCJ02_WARNING = "底图为 GCJ-02（火星坐标），图层叠加会偏移数百米；请改用天地图或本地晕渲底图"


def add_basemap(m: folium.Map, settings: Settings, hillshade: tuple[str, list] | None) -> str | None:
    """Add the configured basemap to ``m``; return a warning for the page, if any."""
    choice = settings.basemap.strip()
    if choice == "none":
        return None
    if choice == "hillshade":
        if hillshade is not None:
            url, bounds = hillshade
            overlay = folium.raster_layers.ImageOverlay(np.zeros((1, 1, 4)), bounds=bounds, opacity=0.55,
                                                        name="地形晕渲（DEM）", interactive=False)
            overlay.url = url  # folium reads a string as a file path; the app serves the image itself
            overlay.add_to(m)
        return None
    if choice == "tianditu":
        if not settings.tianditu_key:
            raise InputError("天地图底图需要密钥：设置 MIYUN_TIANDITU_KEY", field="MIYUN_BASEMAP")
        for layer, name in (("vec", "天地图矢量"), ("cva", "天地图注记")):
            folium.TileLayer(TIANDITU.replace("{layer}", layer).replace("{key}", settings.tianditu_key),
                             name=name, attr="天地图 © 国家地理信息公共服务平台", subdomains="01234567",
                             overlay=layer == "cva", max_zoom=18).add_to(m)
    elif "{z}" in choice and "{x}" in choice and "{y}" in choice:
        folium.TileLayer(choice, name="底图", attr=settings.basemap_attribution or "用户配置底图").add_to(m)
    else:
        raise InputError(f"MIYUN_BASEMAP 应为 hillshade、none、tianditu 或含 {{z}}/{{x}}/{{y}} 的地址，收到 {choice!r}",
                         field="MIYUN_BASEMAP")
    return GCJ02_WARNING if settings.basemap_crs.lower().replace("-", "") == "gcj02" else None
