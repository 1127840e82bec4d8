"""Pages, layers and a day's figures: ETag / If-None-Match → 304, compressed when asked, kept per
user scope; a day's tracks as Mapbox vector tiles drawn by the patrol map."""

from __future__ import annotations

import gzip

import brotli
import httpx
import mapbox_vector_tile
import numpy as np
import pytest
from browser import CHROMIUM

DAY = "2026-11-17"


@pytest.fixture(scope="module")
def day_files(sample_layers, tmp_path_factory) -> tuple[bytes, bytes]:
    """A simulated day as two CSV files from phones of different staff (the second arrives later)."""
    import pandas as pd

    from gis.tracks.pipeline import simulate_and_store

    folder = tmp_path_factory.mktemp("day")
    csv = folder / "day.csv"
    simulate_and_store(DAY, sample_layers, folder, n_staff=40, out=csv)
    frame = pd.read_csv(csv, dtype=str)
    staff = sorted(frame["staff_id"].unique())
    later = frame["staff_id"].isin(staff[-3:])
    return frame.loc[~later].to_csv(index=False).encode(), frame.loc[later].to_csv(index=False).encode()


@pytest.fixture(scope="module")
def day_uploaded(client, server, day_files) -> str:
    answer = client.post(f"{server}/api/tracks", files={"file": ("day.csv", day_files[0])}, timeout=300)
    assert answer.status_code == 200, answer.text
    return DAY


def raw_get(server: str, token: str, path: str, **headers) -> bytes:
    """The body as it travels (not decoded)."""
    with httpx.Client(base_url=server, timeout=300) as http, \
            http.stream("GET", path, headers={"Authorization": f"Bearer {token}", **headers}) as response:
        return b"".join(response.iter_raw())


@pytest.mark.parametrize("path", ["/", "/maps/patrols", "/collections/grids/items?limit=20"])
def test_pages_and_layers_have_etags_304_and_are_compressed_when_asked(client, server, path):
    first = client.get(path, headers={"Accept-Encoding": "gzip"})
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert etag.startswith('W/"') and first.headers["content-encoding"] == "gzip"
    assert "Accept-Encoding" in first.headers["vary"]
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    assert client.get(path, headers={"If-None-Match": 'W/"other"'}).status_code == 200
    br = client.get(path, headers={"Accept-Encoding": "br"})
    assert br.headers["content-encoding"] == "br" and br.content == first.content  # httpx decodes both
    plain = client.get(path, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.content == first.content


def test_compressed_bodies_are_real_gzip_and_brotli(accounts, server):
    token = accounts[1]["admin"]
    plain = raw_get(server, token, "/collections/grids/items?limit=20", **{"Accept-Encoding": "identity"})
    zipped = raw_get(server, token, "/collections/grids/items?limit=20", **{"Accept-Encoding": "gzip"})
    squeezed = raw_get(server, token, "/collections/grids/items?limit=20", **{"Accept-Encoding": "br"})
    assert gzip.decompress(zipped) == plain == brotli.decompress(squeezed)
    assert len(zipped) < len(plain) / 2


def test_a_day_s_figures_are_kept_per_user_scope_and_change_with_the_tracks(as_user, day_files, day_uploaded):
    admin, town = as_user("admin"), as_user("xwz_op")
    everyone = admin.get(f"/api/patrols/{day_uploaded}")
    mine = town.get(f"/api/patrols/{day_uploaded}")  # after the administrator's answer was kept
    assert everyone.status_code == mine.status_code == 200
    assert {g["town"] for g in mine.json()["grids"]} == {"溪翁庄"}
    assert len(everyone.json()["grids"]) == 160 and everyone.headers["etag"] != mine.headers["etag"]
    for path in (f"/api/patrols/{day_uploaded}", f"/api/patrols/{day_uploaded}/staff",
                 f"/api/patrols/{day_uploaded}/tracks"):
        etag = admin.get(path).headers["etag"]
        assert admin.get(path, headers={"If-None-Match": etag}).status_code == 304
    # other tracks of the same day arrive: the figures are those of the new state of the day
    before = everyone.headers["etag"]
    csv = day_files[1]
    assert admin.post("/api/tracks", files={"file": ("more.csv", csv)}, timeout=300).status_code == 200
    after = admin.get(f"/api/patrols/{day_uploaded}", headers={"If-None-Match": before})
    assert after.status_code == 200 and after.headers["etag"] != before


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - np.arcsinh(np.tan(np.radians(lat))) / np.pi) / 2 * n)
    return x, y


def test_tracks_as_vector_tiles(as_user, day_uploaded):
    admin = as_user("admin")
    tracks = admin.get(f"/api/patrols/{day_uploaded}/tracks").json()["features"]
    lon, lat = tracks[0]["geometry"]["coordinates"][0]
    x, y = _tile_of(lon, lat, 13)
    tile = admin.get(f"/api/patrols/{day_uploaded}/tiles/13/{x}/{y}.pbf")
    assert tile.status_code == 200 and tile.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    decoded = mapbox_vector_tile.decode(tile.content)
    staff = {f["properties"]["staff_id"] for f in decoded["tracks"]["features"]}
    assert tracks[0]["properties"]["staff_id"] in staff
    assert all(f["geometry"]["type"] in ("LineString", "MultiLineString") for f in decoded["tracks"]["features"])
    assert admin.get(f"/api/patrols/{day_uploaded}/tiles/13/{x}/{y}.pbf",
                     headers={"If-None-Match": tile.headers["etag"]}).status_code == 304
    # far from every track: an empty tile; a town operator sees only the fixes in the own town
    empty = mapbox_vector_tile.decode(admin.get(f"/api/patrols/{day_uploaded}/tiles/13/0/0.pbf").content)
    assert empty["tracks"]["features"] == []
    town = as_user("xwz_op")
    theirs = mapbox_vector_tile.decode(town.get(f"/api/patrols/{day_uploaded}/tiles/9/{x >> 4}/{y >> 4}.pbf").content)
    town_staff = {f["properties"]["staff_id"] for f in admin.get(
        f"/api/patrols/{day_uploaded}/tracks", params={"town": "溪翁庄"}).json()["features"]}
    assert {f["properties"]["staff_id"] for f in theirs.get("tracks", {}).get("features", [])} <= town_staff
    assert admin.get(f"/api/patrols/{day_uploaded}/tiles/3/9/0.pbf").status_code == 404
    assert admin.get("/api/patrols/2001-01-01/tiles/3/1/1.pbf").status_code == 404


@pytest.mark.skipif(CHROMIUM is None, reason="Debian chromium not installed (bash .ci/setup --test installs it)")
def test_patrol_map_draws_the_tracks_from_vector_tiles(browser, server, day_uploaded):
    browser.goto(f"{server}/maps/patrols?date={day_uploaded}")
    assert browser.wait_for("document.getElementById('miyun-status') && "
                            "document.getElementById('miyun-status').textContent.length > 0", timeout=180)
    assert browser.wait_for("document.querySelectorAll('.leaflet-tile-container canvas, canvas.leaflet-tile').length > 0",
                            timeout=120)
    browser.pump(2)
    assert "当日轨迹" in browser.dom()
    tiles = [u for u in browser.requested() if f"/api/patrols/{day_uploaded}/tiles/" in u]
    assert tiles and all(u.endswith(".pbf") for u in tiles)
    assert not any(f"/api/patrols/{day_uploaded}/tracks" in u for u in browser.requested())
