"""The sample layers hold the facts of DOMAIN.md and say what is synthetic."""

from __future__ import annotations

import sqlite3

import numpy as np
import pyogrio
import shapely

from gis.layers import gpkg
from gis.schema import LAYERS, STORAGE_CRS, SYNTHETIC_PREFIX, TOWN_QUOTAS
from gis.layers.terrain import read_dem
from gis.layers.validate import validate


def test_sample_validates(sample_layers):
    assert validate(sample_layers) == []


def test_160_grids_by_town_as_attachment_1(sample_layers):
    grids = gpkg.read_layer(sample_layers, "grids")
    assert len(grids) == 160
    assert (grids["kind"] == "reservoir").sum() == 120
    assert (grids["kind"] == "river").sum() == 40
    assert grids["grid_id"].is_unique
    counts = grids.groupby(["town", "kind"]).size()
    assert counts[("太师屯", "reservoir")] == 24 and counts[("太师屯", "river")] == 13
    assert counts[("溪翁庄", "reservoir")] == 40 and ("溪翁庄", "river") not in counts
    assert counts[("古北口", "river")] == 13 and ("古北口", "reservoir") not in counts
    for q in TOWN_QUOTAS:
        town = grids[grids["town"] == q.name]
        assert (town["kind"] == "reservoir").sum() == q.grids_l1, q.name
        assert (town["kind"] == "river").sum() == q.grids_river, q.name
        assert town["staff_quota"].sum() == q.staff, q.name
        assert (town["staff_quota"] >= 1).all()
    assert grids["staff_quota"].sum() == 2150


def test_grids_lie_in_their_towns(sample_layers):
    grids = gpkg.read_layer(sample_layers, "grids")
    towns = gpkg.read_layer(sample_layers, "towns").set_index("name")
    for town, geom in zip(grids["town"], grids.geometry):
        assert geom.difference(towns.geometry[town]).area < 1.0


def test_towns_carry_quotas_and_flag_the_others(sample_layers):
    towns = gpkg.read_layer(sample_layers, "towns").set_index("name")
    assert towns.loc["溪翁庄", "quota_staff"] == 400
    assert towns.loc["太师屯", "quota_grids_river"] == 13
    assert towns["in_programme"].sum() == 8
    assert not towns.loc["密云", "in_programme"]


def test_river_reaches_measure_26_and_25_km(sample_layers):
    rivers = gpkg.read_layer(sample_layers, "rivers").set_index("name")
    assert abs(rivers.geometry["潮河"].length - 26_000) < 260
    assert abs(rivers.geometry["白河"].length - 25_000) < 250
    district = gpkg.read_layer(sample_layers, "district").geometry.iloc[0]
    assert rivers.geometry.difference(district).length.max() < 1.0


def test_zone_l1_lies_below_155_m_on_the_dem(sample_layers):
    dem = read_dem(gpkg.dem_path(sample_layers))
    zone = gpkg.read_layer(sample_layers, "zone_l1").geometry.iloc[0]
    inner = zone.buffer(-dem.cell_size)  # away from the traced edge
    rng = np.random.default_rng(1)
    minx, miny, maxx, maxy = inner.bounds
    pts = shapely.points(rng.uniform(minx, maxx, 200_000), rng.uniform(miny, maxy, 200_000))
    pts = pts[shapely.contains(inner, pts)]
    assert len(pts) > 500
    z = dem.sample(shapely.get_x(pts), shapely.get_y(pts))
    assert np.nanmax(z) < 155.0
    # and the 155 m line is at 155 m
    line = gpkg.read_layer(sample_layers, "contour_155m").geometry.iloc[0]
    on_line = shapely.line_interpolate_point(line.geoms[0], np.linspace(0, line.geoms[0].length, 500))
    assert np.allclose(dem.sample(shapely.get_x(on_line), shapely.get_y(on_line)), 155.0, atol=0.5)
    # outside the fence: nothing of the zone is inside the reservoir fence area
    fence = gpkg.read_layer(sample_layers, "fence").geometry.iloc[0]
    fence_area = shapely.Polygon(fence.geoms[0].coords)
    assert zone.intersection(fence_area).area < 1.0


def test_every_synthetic_feature_is_marked(sample_layers):
    for layer in LAYERS:
        frame = gpkg.read_layer(sample_layers, layer.name)
        assert frame["source"].notna().all() and (frame["source"].str.len() > 10).all(), layer.name
        if layer.name == "district":
            assert frame["source"].str.startswith("real").all()
        elif layer.name == "villages":
            assert frame["source"].str.startswith("real").all()
            assert frame["figures_source"].str.startswith(SYNTHETIC_PREFIX).all()
        else:
            assert frame["source"].str.startswith(SYNTHETIC_PREFIX).all(), layer.name
    assert gpkg.is_sample(sample_layers)


def test_real_villages_and_outline(sample_layers):
    villages = gpkg.read_layer(sample_layers, "villages")
    assert len(villages) == 158
    assert villages["code"].str.startswith("110118").all()
    assert "溪翁庄" in set(villages["town"])
    district = gpkg.read_layer(sample_layers, "district")
    assert 2_220e6 < district.area.iloc[0] < 2_235e6


def test_geopackage_1_3_in_cgcs2000_gk_117e(sample_layers):
    with sqlite3.connect(sample_layers) as db:
        assert db.execute("pragma application_id").fetchone()[0] == 0x47504B47  # 'GPKG'
        assert db.execute("pragma user_version").fetchone()[0] == 10300
    for name, _ in pyogrio.list_layers(sample_layers):
        info = pyogrio.read_info(sample_layers, layer=name)
        if info["geometry_type"]:
            assert info["crs"] == STORAGE_CRS, name


def test_build_is_deterministic_and_takes_a_real_dem_in_another_crs(sample_layers, tmp_path):
    """A second build from the sample DEM, given as a lon/lat GeoTIFF as a Copernicus tile would be,
    goes through the same tracing code and gives the same layers."""
    import rasterio
    from rasterio.warp import calculate_default_transform, reproject

    from gis.sample.build import build_sample

    source = gpkg.dem_path(sample_layers)
    lonlat = tmp_path / "dem_wgs84.tif"
    with rasterio.open(source) as src:
        transform, width, height = calculate_default_transform(src.crs, "EPSG:4326", src.width, src.height,
                                                               *src.bounds)
        profile = src.profile | {"crs": "EPSG:4326", "transform": transform, "width": width, "height": height}
        with rasterio.open(lonlat, "w", **profile) as dst:
            reproject(rasterio.band(src, 1), rasterio.band(dst, 1), dst_crs="EPSG:4326", dst_transform=transform)
    out = tmp_path / "from_dem.gpkg"
    build_sample(out, dem_file=lonlat)
    assert validate(out) == []
    first = gpkg.read_layer(sample_layers, "zone_l1").geometry.iloc[0]
    again = gpkg.read_layer(out, "zone_l1").geometry.iloc[0]
    assert abs(again.area - first.area) / first.area < 0.05  # resampled twice, traced the same way
    assert first.symmetric_difference(again).area / first.area < 0.25
    assert gpkg.read_layer(out, "zone_l1")["source"].iloc[0].endswith("outside the sample fence")
    assert "dem_wgs84.tif" in gpkg.read_layer(out, "zone_l1")["source"].iloc[0]
    assert gpkg.read_layer(out, "contour_155m")["source"].iloc[0] == "derived: 155 m contour of the real DEM dem_wgs84.tif"
    # and the synthetic build is deterministic
    twin = tmp_path / "twin.gpkg"
    build_sample(twin)
    a = gpkg.read_layer(sample_layers, "grids")
    b = gpkg.read_layer(twin, "grids")
    assert list(a["grid_id"]) == list(b["grid_id"])
    assert all(ga.equals_exact(gb, 1e-6) for ga, gb in zip(a.geometry, b.geometry))
