"""GridIndex equals geopandas.sjoin plus the edge rule, on a million points."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from gis.layers import gpkg
from gis.crs import to_web
from gis.errors import LayerError
from gis.join import GridIndex, PolygonIndex


@pytest.fixture(scope="module")
def index(sample_layers) -> GridIndex:
    return GridIndex.from_layers(sample_layers)


def expected_grid(points: gpd.GeoDataFrame, grids: gpd.GeoDataFrame) -> np.ndarray:
    """sjoin(within) — the first id where grids overlap — and for points on no interior the
    touching grid whose id sorts first."""
    grids = grids[["grid_id", "geometry"]]
    within = gpd.sjoin(points, grids, predicate="within", how="inner")["grid_id"].groupby(level=0).min()
    touching = gpd.sjoin(points, grids, predicate="intersects", how="inner")["grid_id"]
    first = touching.groupby(level=0).min()
    return within.reindex(points.index).fillna(first.reindex(points.index)).to_numpy(dtype=object)


def test_million_points_match_sjoin_and_the_edge_rule(index, sample_layers):
    grids = gpkg.read_layer(sample_layers, "grids")
    district = gpkg.read_layer(sample_layers, "district")
    rng = np.random.default_rng(42)
    minx, miny, maxx, maxy = district.total_bounds
    n = 1_000_000
    x = rng.uniform(minx, maxx, n)
    y = rng.uniform(miny, maxy, n)
    # a tenth of them near the grids, where it matters, and some exactly on grid vertices and edges
    gx0, gy0, gx1, gy1 = grids.total_bounds
    x[: n // 10] = rng.uniform(gx0, gx1, n // 10)
    y[: n // 10] = rng.uniform(gy0, gy1, n // 10)
    vertices = shapely.get_coordinates(grids.geometry.array)
    pick = rng.choice(len(vertices), 5000, replace=False)
    x[n // 10: n // 10 + 5000], y[n // 10: n // 10 + 5000] = vertices[pick, 0], vertices[pick, 1]
    segment_a, segment_b = vertices[pick], vertices[np.minimum(pick + 1, len(vertices) - 1)]
    mid = (segment_a + segment_b) / 2
    x[n // 10 + 5000: n // 10 + 10000], y[n // 10 + 5000: n // 10 + 10000] = mid[:, 0], mid[:, 1]

    lon, lat = to_web(x, y)
    result = index.assign(lon, lat, nearest=False, distances=False)
    # the comparison runs in storage CRS on the same projected coordinates
    ours = index.assign_xy(x, y, nearest=False, distances=False)["grid_id"].astype(object).to_numpy()
    points = gpd.GeoDataFrame(geometry=shapely.points(x, y), crs=grids.crs)
    theirs = expected_grid(points, grids)
    ours = np.where(pd.isna(ours), None, ours)
    theirs = np.where(pd.isna(theirs), None, theirs)
    assert (ours == theirs).all(), np.flatnonzero(ours != theirs)[:10]
    assert (ours != None).sum() > 10_000  # noqa: E711 — plenty of points did land in grids
    # lon/lat input gives the same answer as projected input, but for the points placed exactly
    # on edges, which the round trip through lon/lat moves by a nanometre to one side or the other
    from_lonlat = result["grid_id"].astype(object).fillna("").to_numpy()
    same = from_lonlat == np.where(ours == None, "", ours)  # noqa: E711
    same[n // 10: n // 10 + 10_000] = True
    assert same.all()


def test_town_kind_and_flags(index, sample_layers):
    grids = gpkg.read_layer(sample_layers, "grids").set_index("grid_id")
    inner = grids.geometry.buffer(-5)
    pts = shapely.point_on_surface(inner.array)
    got = index.assign_xy(shapely.get_x(pts), shapely.get_y(pts))
    assert (got["grid_id"].astype(str).to_numpy() == grids.index.to_numpy()).all()
    assert (got["town"].astype(str).to_numpy() == grids["town"].to_numpy()).all()
    assert (got["kind"].astype(str).to_numpy() == grids["kind"].to_numpy()).all()
    reservoir = grids["kind"].to_numpy() == "reservoir"
    assert got["in_zone_l1"].to_numpy()[reservoir].all()
    assert got["in_river_corridor"].to_numpy()[~reservoir].all()
    assert got["inside_district"].all() and not got["inside_fence"].any()
    assert (got["dist_155m_m"][reservoir] < 400).all()
    assert got["nearest_grid_id"].isna().all()


def test_points_outside_get_the_nearest_grid_and_exact_distances(index, sample_layers):
    grids = gpkg.read_layer(sample_layers, "grids").set_index("grid_id")
    contour = gpkg.read_layer(sample_layers, "contour_155m").geometry.iloc[0]
    water = gpkg.read_layer(sample_layers, "reservoir").geometry.iloc[0]
    rng = np.random.default_rng(3)
    minx, miny, maxx, maxy = grids.total_bounds
    x = rng.uniform(minx, maxx, 20_000)
    y = rng.uniform(miny, maxy, 20_000)
    got = index.assign_xy(x, y)
    pts = shapely.points(x, y)
    outside = got["grid_id"].isna().to_numpy()
    true_grid_distance = np.array([grids.geometry.distance(p).min() for p in pts[outside][:300]])
    assert np.allclose(got["nearest_grid_m"].to_numpy()[outside][:300], true_grid_distance, atol=35)
    near = true_grid_distance < 150
    assert np.allclose(got["nearest_grid_m"].to_numpy()[outside][:300][near], true_grid_distance[near], atol=1e-6)
    true_contour = shapely.distance(pts, contour)
    close = true_contour < 150
    assert np.allclose(got["dist_155m_m"].to_numpy()[close], true_contour[close], atol=1e-6)
    assert np.abs(got["dist_155m_m"].to_numpy() - true_contour).max() < 36
    in_water = shapely.contains(water, pts)
    assert got["inside_fence"].to_numpy()[in_water].all()


def test_satellite_clue_polygons_by_largest_overlap(index, sample_layers):
    grids = gpkg.read_layer(sample_layers, "grids").set_index("grid_id")
    a, b = "XWZ-K01", "XWZ-K02"
    edge = shapely.intersection(grids.geometry[a].boundary, grids.geometry[b].boundary)
    centre = edge.interpolate(0.5, normalized=True)
    clue = centre.buffer(40)
    far = shapely.Point(grids.total_bounds[0] - 5000, grids.total_bounds[1] - 5000).buffer(30)
    got = index.assign_polygons([clue, far])
    overlaps = {g: clue.intersection(grids.geometry[g]).area for g in (a, b)}
    assert got.loc[0, "grid_id"] == max(overlaps, key=overlaps.get)
    assert set(s.split(":")[0] for s in got.loc[0, "grids"].split(";")) == {a, b}
    assert got.loc[0, "town"] == "溪翁庄"
    assert pd.isna(got.loc[1, "grid_id"]) and got.loc[1, "grids"] == ""


def test_polygon_index_edge_rule_documented_example():
    index = PolygonIndex([shapely.box(0, 0, 10, 10), shapely.box(10, 0, 20, 10)], cell_size=1.0)
    assert index.lookup(np.array([5.0, 10.0, 15.0, 30.0]), np.array([5.0, 5.0, 5.0, 5.0])).tolist() == [0, 0, 1, -1]


def test_refuses_invalid_layers(layers_copy):
    import pyogrio

    grids = gpkg.read_layer(layers_copy, "grids")
    grids.loc[grids.index[0], "kind"] = "lake"
    pyogrio.write_dataframe(grids, layers_copy, layer="grids", promote_to_multi=True,
                            layer_options={"OVERWRITE": "YES"})
    with pytest.raises(LayerError, match="图层未通过校验"):
        GridIndex.from_layers(layers_copy)


def test_index_is_kept_on_disk_by_content_and_rebuilt_when_unreadable(tmp_path, sample_layers, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    folder = tmp_path / "cache" / "miyun-gis" / "grid-index"
    built = GridIndex.from_layers(sample_layers)
    entries = list(folder.glob("*.pickle"))
    assert len(entries) == 1
    loaded = GridIndex.from_layers(sample_layers)
    assert loaded is not built
    rng = np.random.default_rng(7)
    minx, miny, maxx, maxy = built.grids.total_bounds
    x, y = rng.uniform(minx, maxx, 50_000), rng.uniform(miny, maxy, 50_000)
    pd.testing.assert_frame_equal(built.assign_xy(x, y), loaded.assign_xy(x, y))
    entries[0].write_bytes(entries[0].read_bytes()[:1000])  # a write cut short
    again = GridIndex.from_layers(sample_layers)
    pd.testing.assert_frame_equal(built.assign_xy(x, y), again.assign_xy(x, y))
    assert entries[0].stat().st_size > 1_000_000
    monkeypatch.setenv("MIYUN_INDEX_CACHE", "0")
    entries[0].unlink()
    GridIndex.from_layers(sample_layers)
    assert not list(folder.glob("*.pickle"))


def test_lonlat_points_near_edges_and_vertices_match_the_projected_answer_and_sjoin(index, sample_layers):
    """assign(lon, lat) looks points up in a lon/lat raster and projects only those in cells a
    boundary crosses: for points on, and a nanometre to a metre beside, the vertices and edges of
    every layer it answers, every column equals assign_xy of the projected points, and the grid
    equals sjoin(within) plus the edge rule."""
    from gis.crs import to_storage

    rng = np.random.default_rng(11)
    corners = []
    for name in ("grids", "towns", "zone_l1", "river_corridors", "hazard_zones", "fence"):
        xy = shapely.get_coordinates(gpkg.read_layer(sample_layers, name).geometry.array)
        pick = rng.choice(len(xy) - 1, min(3000, len(xy) - 1), replace=False)
        corners.append(xy[pick])
        corners.append((xy[pick] + xy[pick + 1]) / 2)  # on an edge (between two consecutive vertices)
    base = np.vstack(corners)
    lon0, lat0 = to_web(base[:, 0], base[:, 1])
    steps = np.array([0.0, 1e-11, -1e-11, 1e-9, -1e-9, 1e-7, -1e-7, 1e-5, -1e-5, 4e-5, -4e-5])  # degrees: ~1 nm … 4 m
    lon = np.concatenate([lon0 + rng.choice(steps, len(lon0)) for _ in range(6)] + [lon0])
    lat = np.concatenate([lat0 + rng.choice(steps, len(lat0)) for _ in range(6)] + [lat0])
    # and some far beyond the raster of the grids, in the district and outside it
    lon = np.r_[lon, rng.uniform(116.5, 117.7, 20_000)]
    lat = np.r_[lat, rng.uniform(40.1, 40.9, 20_000)]
    assert index.lonlat is not None and 0.02 < index.lonlat.unsettled[index.lonlat.code_of(lon, lat)].mean() < 0.99
    got = index.assign(lon, lat, distances=False)
    x, y = to_storage(lon, lat)
    pd.testing.assert_frame_equal(got, index.assign_xy(x, y, distances=False))
    grids = gpkg.read_layer(sample_layers, "grids")
    theirs = expected_grid(gpd.GeoDataFrame(geometry=shapely.points(x, y), crs=grids.crs), grids)
    ours = got["grid_id"].astype(object).to_numpy()
    assert (np.where(pd.isna(ours), None, ours) == np.where(pd.isna(theirs), None, theirs)).all()


def test_lonlat_raster_cells_no_boundary_touches_hold_one_answer(index, sample_layers):
    """Every settled cell of the lon/lat raster keeps its answers at its corners too (the margin
    rule): sampled cells checked at their four corners through the exact projected path."""
    from gis.composite import EDGE
    from gis.crs import to_storage

    raster = index.lonlat
    rng = np.random.default_rng(5)
    settled = np.flatnonzero(~raster.unsettled[raster.codes.ravel()])
    cells = rng.choice(settled, 20_000, replace=False)
    row, col = np.divmod(cells, raster.cols)
    for dr, dc in ((0, 0), (0, 1), (1, 0), (1, 1)):
        lon = raster.lon0 + (col + dc) * raster.dlon
        lat = raster.lat1 - (row + dr) * raster.dlat
        x, y = to_storage(lon, lat)
        exact = index.assign_xy(x, y, nearest=False, distances=False)
        for name, table in raster.tables.items():
            value = table[raster.codes.ravel()[cells]]
            assert (value > EDGE).all()
            truth = exact[name]
            truth = truth.cat.codes.to_numpy() if name in ("grid_id", "town") else truth.to_numpy().astype(int)
            assert (truth == value).all(), name


def test_one_point_answers_as_the_frame_does(index, sample_layers):
    """assign_point (placing a case) gives assign_xy's row for the same point, inside and outside grids."""
    district = gpkg.read_layer(sample_layers, "district")
    rng = np.random.default_rng(11)
    minx, miny, maxx, maxy = district.total_bounds
    vertices = shapely.get_coordinates(index.grids.geometry.iloc[:20].boundary)[::50]
    x = np.r_[rng.uniform(minx, maxx, 300), vertices[:, 0]]
    y = np.r_[rng.uniform(miny, maxy, 300), vertices[:, 1]]
    frame = index.assign_xy(x, y)
    for i in range(len(x)):
        got = index.assign_point(x[i], y[i])
        want = frame.iloc[i].to_dict()
        assert list(got) == list(want)
        for key, value in want.items():
            text = key in ("grid_id", "town", "kind", "nearest_grid_id")
            if pd.isna(value):
                assert got[key] is None if text else np.isnan(got[key]), (key, i)
            else:
                assert got[key] == value and (isinstance(got[key], str) or not text), (key, i)
    assert 0 < frame["grid_id"].notna().sum() < len(x)  # both kinds of point were asked
