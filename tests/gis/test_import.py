"""import-layer: conversions, field mapping, and nothing changed on failure."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
import shapely

from gis import crs
from gis.layers import gpkg
from gis.errors import CRSError, InputError, LayerError
from gis.layers.replace import import_layer, parse_mapping


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def officers_grids(layers_copy, tmp_path):
    """The grids as a district office would send them: WGS84 GeoJSON, their own field names."""
    grids = gpkg.read_layer(layers_copy, "grids").to_crs("EPSG:4326")
    grids = grids.rename(columns={"grid_id": "WGBH", "town": "SSZ"}).drop(columns=["area_m2", "source"])
    path = tmp_path / "grids_from_office.geojson"
    grids.to_file(path, driver="GeoJSON")
    return path


def test_import_geojson_with_field_mapping(layers_copy, officers_grids):
    count = import_layer(layers_copy, "grids", officers_grids,
                         mapping=parse_mapping(["grid_id=WGBH", "town=SSZ"]))
    assert count == 160
    grids = gpkg.read_layer(layers_copy, "grids")
    assert grids["source"].str.startswith("imported from grids_from_office.geojson").all()
    assert grids["area_m2"].gt(0).all()
    assert not gpkg.is_synthetic(grids)
    # styles survive an import
    import sqlite3
    with sqlite3.connect(layers_copy) as db:
        tables = {r[0] for r in db.execute("select table_name from gpkg_contents")}
    assert "grids" in tables


def test_import_gcj02_is_converted(layers_copy, tmp_path):
    gates = gpkg.read_layer(layers_copy, "fence_gates").to_crs("EPSG:4326")
    lon, lat = gates.geometry.x.to_numpy(), gates.geometry.y.to_numpy()
    glon, glat = crs.wgs84_to_gcj02(lon, lat)
    shifted = gates.set_geometry(shapely.points(glon, glat), crs=None)
    path = tmp_path / "gates_amap.geojson"
    shifted.set_crs("EPSG:4326").to_file(path, driver="GeoJSON")
    original = gpkg.read_layer(layers_copy, "fence_gates")
    import_layer(layers_copy, "fence_gates", path, crs="gcj02")
    back = gpkg.read_layer(layers_copy, "fence_gates")
    assert np.abs(back.geometry.distance(original.geometry.reset_index(drop=True)
                                         .set_axis(back.index))).max() < 0.01


def test_wrong_crs_is_refused_and_nothing_changes(layers_copy, officers_grids):
    before = digest(layers_copy)
    with pytest.raises(CRSError, match="坐标不在密云区附近"):
        import_layer(layers_copy, "grids", officers_grids, crs="EPSG:3857",
                     mapping=parse_mapping(["grid_id=WGBH", "town=SSZ"]))
    assert digest(layers_copy) == before


def test_missing_crs_is_refused(layers_copy, tmp_path):
    path = tmp_path / "no_crs.csv"
    path.write_text("WKT,gate_id,name,town\n\"POINT (500000 4490000)\",WM-99,新口,不老屯\n")
    with pytest.raises(CRSError, match="没有坐标系"):
        import_layer(layers_copy, "fence_gates", path)


def test_overlapping_grids_fail_validation_and_nothing_changes(layers_copy, officers_grids, tmp_path):
    import geopandas as gpd

    grids = gpd.read_file(officers_grids)
    grids.loc[0, "geometry"] = grids.geometry[0].union(grids.geometry[1].buffer(-1e-5))
    bad = tmp_path / "overlap.geojson"
    grids.to_file(bad, driver="GeoJSON")
    before = digest(layers_copy)
    with pytest.raises(LayerError, match="重叠") as info:
        import_layer(layers_copy, "grids", bad, mapping=parse_mapping(["grid_id=WGBH", "town=SSZ"]))
    assert "未做任何修改" in str(info.value)
    assert digest(layers_copy) == before
    assert not list(layers_copy.parent.glob(".miyun-*"))  # no temporary file left behind


def test_bad_arguments_are_named(layers_copy, officers_grids, tmp_path):
    with pytest.raises(InputError, match="未知图层"):
        import_layer(layers_copy, "lakes", officers_grids)
    with pytest.raises(InputError, match="字段映射应写作"):
        parse_mapping(["grid_id"])
    with pytest.raises(InputError, match="缺少字段 grid_id"):
        import_layer(layers_copy, "grids", officers_grids)
    with pytest.raises(InputError, match="需要 Point 几何"):
        import_layer(layers_copy, "fence_gates", officers_grids)
    junk = tmp_path / "junk.geojson"
    junk.write_text("{ not json")
    with pytest.raises(InputError, match="junk.geojson"):
        import_layer(layers_copy, "grids", junk)
