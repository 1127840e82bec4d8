"""Coordinate systems: storage (EPSG:4548), web (EPSG:4326), GCJ-02 and BD-09.

GCJ-02 ("Mars coordinates", used by AMap/Gaode and Tencent) and BD-09
(Baidu) are obfuscations of WGS84 that no EPSG code describes.  The forward
formulas are the widely published public-domain ones (as in the
``eviltransform`` and ``prcoords`` packages); those packages work one point
at a time, so they are restated here over numpy arrays, because GPS tracks
arrive by the million.  Inverses are found by fixed-point iteration to
well under a centimetre.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError as PyprojCRSError

from gis.errors import CRSError
from gis.schema import STORAGE_CRS, WEB_CRS

OBFUSCATED = ("gcj02", "bd09")

_A = 6378245.0  # Krasovsky semi-major axis used by GCJ-02
_EE = 0.00669342162296594323
_X_PI = np.pi * 3000.0 / 180.0


def parse_crs(value: str | int | CRS | None, *, where: str = "--crs") -> CRS:
    """A pyproj CRS from user input ('EPSG:4326', 4326, WKT ...), with a clear error."""
    if value is None:
        raise CRSError("缺少坐标系 (missing CRS)", field=where)
    try:
        return CRS.from_user_input(value)
    except PyprojCRSError as exc:
        raise CRSError(f"无法识别的坐标系 {value!r} (unknown CRS): {exc}", field=where) from None


@lru_cache(maxsize=32)
def transformer(src: str, dst: str) -> Transformer:
    """A cached always-xy transformer between two CRS given as strings.

    pyproj builds a transformer afresh in every thread that uses one; from two CRS that is a search
    of PROJ's database (50–130 ms, 23 % of a loaded server's samples with 40 threads a worker).  So
    the search is made once here and the operation it found kept as its PROJ pipeline, which a new
    thread builds in 0.1 ms — where the pipeline gives the same answer on the source's area of use."""
    found = Transformer.from_crs(CRS.from_user_input(src), CRS.from_user_input(dst), always_xy=True)
    try:
        kept = Transformer.from_pipeline(found.definition)
        area = CRS.from_user_input(src).area_of_use
        lon = np.linspace(area.west, area.east, 5) if area else np.zeros(1)
        lat = np.linspace(area.south, area.north, 5) if area else np.zeros(1)
        probe = _probe(src, lon, lat)
        same = np.allclose(np.array(found.transform(*probe)), np.array(kept.transform(*probe)), rtol=0, atol=1e-9,
                           equal_nan=True)
    except PyprojCRSError:
        return found
    return kept if same else found


def _probe(src: str, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Points of ``src`` at the given WGS84 lon/lat (its area of use), to compare two transformers on."""
    if CRS.from_user_input(src) == CRS.from_user_input(WEB_CRS):
        return lon, lat
    return Transformer.from_crs(WEB_CRS, src, always_xy=True).transform(lon, lat)


def to_storage(x, y, src: str = WEB_CRS):
    """Arrays of x, y in ``src`` to EPSG:4548 metres."""
    return transformer(src, STORAGE_CRS).transform(np.asarray(x, float), np.asarray(y, float))


def to_web(x, y, src: str = STORAGE_CRS):
    """Arrays of x, y in ``src`` to EPSG:4326 lon, lat."""
    return transformer(src, WEB_CRS).transform(np.asarray(x, float), np.asarray(y, float))


def _gcj_offset(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = lon - 105.0
    y = lat - 35.0
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
            + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
            + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
            + (160.0 * np.sin(y / 12.0 * np.pi) + 320 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0)
    dlon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
            + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
            + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
            + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0)
    rad = lat / 180.0 * np.pi
    magic = 1 - _EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * np.cos(rad) * np.pi)
    return dlon, dlat


def wgs84_to_gcj02(lon, lat):
    """WGS84 lon, lat arrays to GCJ-02."""
    lon = np.asarray(lon, float)
    lat = np.asarray(lat, float)
    dlon, dlat = _gcj_offset(lon, lat)
    return lon + dlon, lat + dlat


def _invert(forward, lon, lat, start, iterations: int = 6):
    """Solve forward(p) = (lon, lat) by fixed-point iteration from ``start``."""
    lon = np.asarray(lon, float)
    lat = np.asarray(lat, float)
    plon, plat = (np.array(a, float) for a in start)
    for _ in range(iterations):
        flon, flat = forward(plon, plat)
        plon -= flon - lon
        plat -= flat - lat
    return plon, plat


def gcj02_to_wgs84(lon, lat):
    """GCJ-02 lon, lat arrays to WGS84 (iterative inverse, error < 1 mm)."""
    return _invert(wgs84_to_gcj02, lon, lat, (lon, lat))


def bd09_to_gcj02(lon, lat):
    """BD-09 lon, lat arrays to GCJ-02: the usual closed form (≈10 cm), refined by iteration."""
    x = np.asarray(lon, float) - 0.0065
    y = np.asarray(lat, float) - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return _invert(gcj02_to_bd09, lon, lat, (z * np.cos(theta), z * np.sin(theta)), iterations=3)


def gcj02_to_bd09(lon, lat):
    """GCJ-02 lon, lat arrays to BD-09."""
    x = np.asarray(lon, float)
    y = np.asarray(lat, float)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_wgs84(lon, lat):
    """BD-09 lon, lat arrays to WGS84."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def obfuscation(declared: str | None) -> str | None:
    """'gcj02' or 'bd09' when the declared system names one of them (any case, with or without '-')."""
    if not declared:
        return None
    system = declared.lower().replace("-", "").replace("_", "")
    return system if system in OBFUSCATED else None


def deobfuscate(lon, lat, system: str):
    """Convert lon, lat from 'gcj02' or 'bd09' to WGS84."""
    name = obfuscation(system)
    if name == "gcj02":
        return gcj02_to_wgs84(lon, lat)
    if name == "bd09":
        return bd09_to_wgs84(lon, lat)
    raise CRSError(f"未知的加密坐标系 {system!r}，应为 gcj02 或 bd09", field="--crs")


def is_wgs84(declared: str | None, *, where: str = "--crs") -> bool:
    """Whether a declared system is plain WGS84 lon/lat (None counts as WGS84)."""
    return not declared or (not obfuscation(declared) and parse_crs(declared, where=where).equals(WEB_CRS))


def to_wgs84(x, y, declared: str | None, *, where: str = "--crs"):
    """Arrays in the declared system — an EPSG code or other CRS, 'gcj02' or 'bd09'; None means
    WGS84 — to WGS84 lon, lat."""
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    if is_wgs84(declared, where=where):
        return x, y
    if obfuscation(declared):
        return deobfuscate(x, y, declared)
    return transformer(parse_crs(declared, where=where).to_string(), WEB_CRS).transform(x, y)
