"""POST /api/assign on a real server."""

from __future__ import annotations

import numpy as np
import shapely

from gis.layers import gpkg
from gis.crs import to_web, wgs84_to_gcj02


def test_assign_points_in_wgs84_and_gcj02(client, server, sample_layers):
    grids = gpkg.read_layer(sample_layers, "grids").set_index("grid_id")
    inside = shapely.point_on_surface(grids.geometry["TST-K07"].buffer(-5))
    lon, lat = to_web([inside.x], [inside.y])
    answer = client.post(f"{server}/api/assign", json={"lon": [lon[0], 116.0], "lat": [lat[0], 39.5]}, timeout=120)
    assert answer.status_code == 200
    first, far = answer.json()["items"]
    assert first["grid_id"] == "TST-K07" and first["town"] == "太师屯" and first["in_zone_l1"] is True
    assert far["grid_id"] is None and far["inside_district"] is False and far["nearest_grid_id"]
    glon, glat = wgs84_to_gcj02(np.array(lon), np.array(lat))
    amap = client.post(f"{server}/api/assign", json={"lon": list(glon), "lat": list(glat), "crs": "gcj02"}).json()
    assert amap["items"][0]["grid_id"] == "TST-K07"


def test_assign_bad_bodies_are_422_in_chinese(client, server):
    for body in ({"lon": [1, 2], "lat": [1]}, {"lon": [], "lat": []}, {"lon": [116.9], "lat": [40.5], "crs": "EPSG:99999"},
                 {"lon": [500000.0], "lat": [4490000.0]}, "not json"):
        answer = client.post(f"{server}/api/assign", json=body) if not isinstance(body, str) else \
            client.post(f"{server}/api/assign", content=body, headers={"content-type": "application/json"})
        assert answer.status_code == 422, body
        assert answer.json()["error"]["message"]
