"""The coordinate reference systems the features API offers (OGC API – Features Part 2).

Coordinates go out in the axis order the CRS defines: CRS84 is lon, lat; EPSG:4326 and EPSG:4490
are lat, lon; EPSG:4548 is northing, easting.  Geometries inside the product are always x/y
(east, north), as geopandas and shapely keep them.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import shapely
from pyproj import CRS

from gis.crs import transformer
from gis.schema import STORAGE_CRS

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
_EPSG = "http://www.opengis.net/def/crs/EPSG/0/"
SUPPORTED = {  # URI → what pyproj calls it
    CRS84: "OGC:CRS84",
    f"{_EPSG}4326": "EPSG:4326",
    f"{_EPSG}4490": "EPSG:4490",  # CGCS2000 geographic
    f"{_EPSG}4548": "EPSG:4548",  # CGCS2000 / 3-degree Gauss-Kruger CM 117E (storage)
}
STORAGE_URI = f"{_EPSG}{STORAGE_CRS.split(':')[1]}"


def uri(value: str) -> str | None:
    """The CRS URI for a value a client sends (the URI, a safe CURIE ``[EPSG:4326]`` or ``EPSG:4326``)."""
    text = value.strip()
    if text in SUPPORTED:
        return text
    text = text.strip("[]").upper()
    for known, name in SUPPORTED.items():
        if text == name.upper() or (name == "OGC:CRS84" and text == "CRS84"):
            return known
    return None


@lru_cache(maxsize=8)
def swaps_axes(crs_uri: str) -> bool:
    """Whether the CRS's first axis is north (lat, lon / northing, easting)."""
    return CRS.from_user_input(SUPPORTED[crs_uri]).axis_info[0].direction.lower() == "north"


def _swap(coords: np.ndarray) -> np.ndarray:
    return coords[:, ::-1].copy()


def from_storage(geometries, crs_uri: str) -> np.ndarray:
    """Storage (x/y) geometries in ``crs_uri``, in its axis order."""
    geoms = np.asarray(geometries, dtype=object)
    if crs_uri != STORAGE_URI:
        forward = transformer(STORAGE_CRS, SUPPORTED[crs_uri])
        geoms = shapely.transform(geoms, lambda xy: np.column_stack(forward.transform(xy[:, 0], xy[:, 1])))
    return shapely.transform(geoms, _swap) if swaps_axes(crs_uri) else geoms


def to_storage(geometry, crs_uri: str):
    """A geometry given in ``crs_uri`` (its axis order) in storage x/y."""
    if swaps_axes(crs_uri):
        geometry = shapely.transform(geometry, _swap)
    if crs_uri == STORAGE_URI:
        return geometry
    back = transformer(SUPPORTED[crs_uri], STORAGE_CRS)
    dense = shapely.segmentize(geometry, 0.01)  # a degree box is curved in metres
    return shapely.transform(dense, lambda xy: np.column_stack(back.transform(xy[:, 0], xy[:, 1])))


def header(crs_uri: str) -> str:
    """The ``Content-Crs`` header value: the URI in angle brackets."""
    return f"<{crs_uri}>"
