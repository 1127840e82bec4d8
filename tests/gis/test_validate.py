"""Validation catches each class of problem, on real GeoPackage files."""

from __future__ import annotations

import pyogrio
import pytest
import shapely
from shapely.affinity import translate
from shapely.geometry import MultiPolygon, Polygon

from gis.layers import gpkg
from gis.errors import LayerError
from gis.layers.validate import ensure_valid, validate


def rewrite(path, name, frame, **kwargs):
    """Overwrite one layer in place, as an editor would (no schema help)."""
    pyogrio.write_dataframe(frame, path, layer=name, driver="GPKG", promote_to_multi=True,
                            layer_options={"OVERWRITE": "YES"}, **kwargs)


def messages(path) -> list[str]:
    return [str(p) for p in validate(path)]


def grids_of(path):
    return gpkg.read_layer(path, "grids")


def test_missing_layer(sample_layers, tmp_path):
    frames = gpkg.read_layers(sample_layers)
    del frames["fence_gates"]
    partial = tmp_path / "partial.gpkg"
    gpkg.write_layers(partial, frames)
    assert "fence_gates: 缺少图层 (missing layer)" in messages(partial)


def test_missing_field(layers_copy):
    grids = grids_of(layers_copy).drop(columns=["staff_quota"])
    rewrite(layers_copy, "grids", grids)
    assert any("grids: 缺少字段 staff_quota" in m for m in messages(layers_copy))


def test_wrong_crs(layers_copy):
    gates = gpkg.read_layer(layers_copy, "fence_gates").to_crs("EPSG:4326")
    rewrite(layers_copy, "fence_gates", gates)
    assert any(m.startswith("fence_gates: 坐标系应为 EPSG:4548") for m in messages(layers_copy))


def test_invalid_and_empty_geometries(layers_copy):
    grids = grids_of(layers_copy)
    x, y = grids.geometry.iloc[0].representative_point().coords[0]
    bowtie = Polygon([(x, y), (x + 50, y + 50), (x + 50, y), (x, y + 50)])
    grids.loc[grids.index[0], "geometry"] = MultiPolygon([bowtie])
    grids.loc[grids.index[1], "geometry"] = MultiPolygon()
    rewrite(layers_copy, "grids", grids)
    found = messages(layers_copy)
    first, second = grids["grid_id"].iloc[0], grids["grid_id"].iloc[1]
    assert any(m.startswith(f"grids {first}: 几何无效") and "Self-intersection" in m for m in found)
    assert f"grids {second}: 几何为空 (empty geometry)" in found


def test_duplicate_and_missing_ids(layers_copy):
    grids = grids_of(layers_copy)
    grids.loc[grids.index[1], "grid_id"] = grids["grid_id"].iloc[0]
    grids.loc[grids.index[2], "grid_id"] = None
    rewrite(layers_copy, "grids", grids)
    found = messages(layers_copy)
    assert f"grids {grids['grid_id'].iloc[0]}: 编号重复 2 次 (duplicate id)" in found
    assert any("缺少编号 grid_id" in m for m in found)


def test_overlap_between_grids_is_reported(layers_copy):
    grids = grids_of(layers_copy)
    a, b = grids["grid_id"].iloc[0], grids["grid_id"].iloc[1]
    grids.loc[grids.index[0], "geometry"] = grids.geometry.iloc[0].union(grids.geometry.iloc[1].buffer(-1))
    rewrite(layers_copy, "grids", grids)
    assert any(m.startswith(f"grids {a}: 与网格 {b} 重叠") for m in messages(layers_copy))


def test_uncovered_zone_and_grid_outside(layers_copy):
    grids = grids_of(layers_copy)
    victim = grids["grid_id"].iloc[5]
    grids.loc[grids.index[5], "geometry"] = MultiPolygon([
        translate(p, 5000, 5000) for p in grids.geometry.iloc[5].geoms])
    rewrite(layers_copy, "grids", grids)
    found = messages(layers_copy)
    assert any(m.startswith("zone_l1: 有") and "不属于任何网格" in m for m in found)
    assert any(m.startswith(f"grids {victim}: 有") and "之外" in m for m in found)


def test_quota_count_and_staff(layers_copy):
    grids = grids_of(layers_copy)
    row = grids.index[grids["town"] == "溪翁庄"][0]
    grids.loc[row, "town"] = "穆家峪"
    rewrite(layers_copy, "grids", grids)
    found = messages(layers_copy)
    assert "grids: 溪翁庄一级区网格应为 40 个，实为 39 个 (quota)" in found
    assert "grids: 穆家峪一级区网格应为 8 个，实为 9 个 (quota)" in found
    assert any(m.startswith("grids: 溪翁庄保水员定额合计应为 400") for m in found)


def test_river_length(layers_copy):
    rivers = gpkg.read_layer(layers_copy, "rivers")
    line = rivers.geometry.iloc[0].geoms[0]
    rivers.loc[rivers.index[0], "geometry"] = shapely.MultiLineString(
        [shapely.ops.substring(line, 0, line.length * 0.9)])
    rewrite(layers_copy, "rivers", rivers)
    assert any(m.startswith(f"rivers {rivers['name'].iloc[0]}: 长度应为") for m in messages(layers_copy))


def test_unknown_enumeration_value(layers_copy):
    hazards = gpkg.read_layer(layers_copy, "hazard_zones")
    hazards.loc[hazards.index[0], "hazard_type"] = "landslide"
    rewrite(layers_copy, "hazard_zones", hazards)
    assert any("hazard_type（隐患类型）的值 'landslide' 不在" in m for m in messages(layers_copy))


def test_ensure_valid_refuses_broken_layers_and_accepts_good_ones(sample_layers, layers_copy):
    assert ensure_valid(sample_layers) == sample_layers.resolve()
    grids = grids_of(layers_copy)
    grids.loc[grids.index[3], "kind"] = "lake"
    rewrite(layers_copy, "grids", grids)
    with pytest.raises(LayerError, match="图层未通过校验"):
        ensure_valid(layers_copy)
    with pytest.raises(LayerError, match="图层文件不存在"):
        ensure_valid(layers_copy.with_name("nothing.gpkg"))
