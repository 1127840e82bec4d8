"""POST /api/tracks on a real server: good files stored once, bad ones a 4xx with the reason."""

from __future__ import annotations

import numpy as np
import shapely

from gis.layers import gpkg
from gis.crs import to_web


def _csv(sample_layers) -> bytes:
    grid = gpkg.read_layer(sample_layers, "grids").set_index("grid_id").geometry["BLT-K03"]
    loop = max(grid.geoms, key=lambda p: p.area).buffer(-10).exterior
    xy = shapely.get_coordinates(shapely.line_interpolate_point(loop, np.arange(40) * 18.0))
    lon, lat = to_web(xy[:, 0], xy[:, 1])
    rows = [f"BLT-K03-02,2026-11-20T02:{i // 4:02d}:{(i % 4) * 15:02d}Z,{a:.7f},{b:.7f}"
            for i, (a, b) in enumerate(zip(lon, lat))]
    return ("staff_id,time,lon,lat\n" + "\n".join(rows) + "\n").encode()


def test_upload_is_stored_once(client, server, sample_layers):
    content = _csv(sample_layers)
    first = client.post(f"{server}/api/tracks", files={"file": ("phone.csv", content, "text/csv")}, timeout=120)
    assert first.status_code == 200, first.text
    assert first.json()["stored"] == 40 and not first.json()["already_imported"]
    again = client.post(f"{server}/api/tracks", files={"file": ("phone.csv", content, "text/csv")}, timeout=120)
    assert again.status_code == 200 and again.json()["already_imported"] and again.json()["stored"] == 0


def test_bad_uploads_are_4xx_and_store_nothing(client, server):
    cases = [
        (("../../etc/passwd.gpx", b"<gpx><trk", "application/gpx+xml"), 422, "GPX"),
        (("evil.exe", b"MZ", "application/octet-stream"), 422, "不支持的文件类型"),
        (("empty.csv", b"", "text/csv"), 422, "文件为空"),
        (("big.csv", b"staff_id,time,lon,lat\n" + b"x" * (51 * 1024 * 1024), "text/csv"), 413, "上传上限"),
    ]
    for upload, status, words in cases:
        answer = client.post(f"{server}/api/tracks", files={"file": upload}, timeout=300)
        assert answer.status_code == status, (upload[0], answer.text[:200])
        error = answer.json()["error"]
        assert words in error["message"], error
        assert "etc/passwd" not in error["message"] or "passwd.gpx" in error["message"]
