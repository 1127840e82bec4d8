"""GCJ-02 and BD-09 conversions."""

from __future__ import annotations

import numpy as np
from pyproj import Geod

from gis import crs

GEOD = Geod(ellps="WGS84")


def test_gcj02_offset_near_miyun_is_a_few_hundred_metres():
    lon, lat = np.array([116.97]), np.array([40.52])
    glon, glat = crs.wgs84_to_gcj02(lon, lat)
    _, _, dist = GEOD.inv(lon, lat, glon, glat)
    assert 200 < dist[0] < 800


def test_gcj02_and_bd09_round_trips_within_a_centimetre():
    rng = np.random.default_rng(0)
    lon = rng.uniform(116.6, 117.5, 1000)
    lat = rng.uniform(40.2, 40.8, 1000)
    back = crs.gcj02_to_wgs84(*crs.wgs84_to_gcj02(lon, lat))
    assert np.abs(GEOD.inv(lon, lat, *back)[2]).max() < 0.01
    bd = crs.gcj02_to_bd09(*crs.wgs84_to_gcj02(lon, lat))
    back = crs.bd09_to_wgs84(*bd)
    assert np.abs(GEOD.inv(lon, lat, *back)[2]).max() < 0.05


def test_storage_crs_round_trip():
    x, y = crs.to_storage([116.97], [40.52])
    assert 490_000 < x[0] < 510_000 and 4_480_000 < y[0] < 4_500_000
    lon, lat = crs.to_web(x, y)
    assert abs(lon[0] - 116.97) < 1e-9 and abs(lat[0] - 40.52) < 1e-9
