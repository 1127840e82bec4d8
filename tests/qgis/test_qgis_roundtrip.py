"""Real QGIS opens the layers styled, edits and commits; the product sees the edits."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyogrio
import pytest
import shapely
from probes import SYSTEM_PYTHON, require_system_qgis
from matplotlib.image import imread

from gis.layers import gpkg
from gis.layers.validate import validate

SCRIPT = Path(__file__).with_name("qgis_edit.py")


require_system_qgis("the QGIS round trip")

pytestmark = pytest.mark.qgis


def qgis(*args) -> dict:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": os.environ.get("HOME", "/tmp")}
    result = subprocess.run([SYSTEM_PYTHON, str(SCRIPT), *map(str, args)], capture_output=True, text=True,
                            timeout=300, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def shared_edge_midpoint(grids, town="溪翁庄"):
    """Two neighbouring grids of a town and the middle of the edge they share."""
    same = grids[grids["town"] == town].sort_values("grid_id")
    for (a, ga), (b, gb) in zip(zip(same["grid_id"], same.geometry), zip(same["grid_id"][1:], same.geometry[1:])):
        edge = shapely.intersection(ga.boundary, gb.boundary)
        edge = shapely.line_merge(edge) if edge.geom_type == "MultiLineString" else edge
        if edge.geom_type == "LineString" and edge.length > 20:
            mid = edge.interpolate(0.5, normalized=True)
            direction = np.subtract(edge.coords[-1], edge.coords[0])
            normal = np.array([-direction[1], direction[0]]) / np.linalg.norm(direction)
            return a, b, mid, normal
    raise AssertionError("no two neighbouring grids found")


def test_layers_and_project_open_styled_in_qgis(layers_copy):
    from gis.layers.qgis_styles import write_project

    write_project(layers_copy)
    seen = qgis(layers_copy, "inspect")
    assert seen["grids_valid"] and seen["grids_count"] == 160
    assert seen["grids_renderer"] == "categorizedSymbol"
    assert set(seen["grids_categories"]) == {"不老屯", "太师屯", "高岭", "溪翁庄", "穆家峪", "石城", "冯家峪", "古北口"}
    assert seen["grids_labels"]
    assert seen["aliases"]["grid_id"] == "网格编号" and seen["aliases"]["staff_quota"] == "保水员定额"
    assert seen["project_read"]
    # QGIS 3.22 gives the project its CRS (SpatialRefSys/ProjectionsEnabled) and opens on the district
    assert seen["project_crs"] == "EPSG:4548" and seen["project_units"] == "meters"
    assert seen["project_view_crs"] == "EPSG:4548" and 100_000 < seen["project_scale"] < 1_000_000
    assert len(seen["project_layers"]) == 14 and all(seen["project_layers"].values())
    order = seen["project_order"]
    assert order.index("村庄") < order.index("保水网格") < order.index("密云水库水面") < order.index("地形晕渲（DEM）")
    image = imread(seen["render"])[..., :3]
    not_white = (image < 0.95).any(axis=2).mean()
    assert not_white > 0.2  # the map is drawn: hillshade, water, grids


def test_topological_edit_in_qgis_is_seen_and_validates(layers_copy):
    grids = gpkg.read_layer(layers_copy, "grids")
    a, b, mid, normal = shared_edge_midpoint(grids)
    staff_a = int(grids.loc[grids["grid_id"] == a, "staff_quota"].iloc[0])
    dx, dy = normal * 15.0
    result = qgis(layers_copy, "topological", a, b, mid.x, mid.y, dx, dy)
    assert result["committed"], result["errors"]

    assert validate(layers_copy) == []
    after = gpkg.read_layer(layers_copy, "grids").set_index("grid_id")
    moved = shapely.Point(mid.x + dx, mid.y + dy)
    assert after.geometry[a].boundary.distance(moved) < 0.01
    assert after.geometry[b].boundary.distance(moved) < 0.01
    assert int(after.loc[a, "staff_quota"]) == staff_a + 1


def test_overlapping_edit_in_qgis_is_reported(layers_copy):
    grids = gpkg.read_layer(layers_copy, "grids")
    a, b, mid, normal = shared_edge_midpoint(grids)
    area_a = grids.loc[grids["grid_id"] == a].geometry.iloc[0].area
    # push grid A's edge into B: pick the direction that grows A
    for sign in (1, -1):
        test_point = shapely.Point(mid.x + sign * normal[0] * 5, mid.y + sign * normal[1] * 5)
        if grids.loc[grids["grid_id"] == b].geometry.iloc[0].contains(test_point):
            break
    dx, dy = sign * normal * 30.0
    result = qgis(layers_copy, "overlap", a, b, mid.x, mid.y, dx, dy)
    assert result["committed"], result["errors"]
    problems = [str(p) for p in validate(layers_copy)]
    assert any(p.startswith(f"grids {a}: 与网格 {b} 重叠") for p in problems), problems
    assert gpkg.read_layer(layers_copy, "grids").set_index("grid_id").geometry[a].area > area_a


def test_reconciliation_and_case_layers_open_in_qgis(tmp_path, grid_index, grid_points):
    from gis.ledger.cases import Cases
    from gis.ledger.db import Ledger
    from gis.ledger.export import export_cases
    from gis.ledger.reconcile import read_clues, reconcile

    cases = Cases(Ledger.in_dir(tmp_path), lambda: grid_index)
    lon, lat = grid_points["XWZ-K02"]
    cases.add(user="u", category="construction", source="patrol", reporter="r", lon=lon, lat=lat,
              reported_at="2026-10-02T09:00")
    clues = tmp_path / "clues.geojson"
    clues.write_text(json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {
        "clue_id": "WP-1"}, "geometry": {"type": "Point", "coordinates": [lon + 0.01, lat]}}]}))
    layer = reconcile(cases, grid_index, read_clues(clues), "2026-10").write_layer(tmp_path / "reconcile.gpkg")
    seen = qgis(layer, "layers")
    assert seen["reconcile_clues"]["valid"] and seen["reconcile_clues"]["crs"] == "EPSG:4548"
    assert seen["reconcile_clues"]["count"] == 1 and "result" in seen["reconcile_clues"]["fields"]
    assert seen["reconcile_ledger"]["count"] == 1
    # styled by result, with Chinese aliases
    assert seen["reconcile_clues"]["renderer"] == "categorizedSymbol"
    assert seen["reconcile_clues"]["categories"]["卫片发现、台账未报"][1] == "#d73027"
    assert seen["reconcile_ledger"]["aliases"]["result"] == "比对结果"
    export_cases(cases, tmp_path / "cases.gpkg")
    exported = qgis(tmp_path / "cases.gpkg", "layers")
    points = exported["cases_points"]
    assert points["valid"] and points["count"] == 1
    # QGIS opens the export styled: cases by category in the legend's colours and labels
    from gis.layers.styles import CASE_COLOURS

    assert points["renderer"] == "categorizedSymbol"
    assert points["categories"]["construction"] == ["违法建设", CASE_COLOURS["construction"]]
    assert len(points["categories"]) == 10
    assert points["aliases"]["grid_id"] == "网格编号" and points["aliases"]["reported_at"] == "上报时间"
    assert points["types"]["reported_at"] == "DateTime" and points["types"]["in_zone_l1"] == "Boolean"
    assert points["first"]["reported_at"] == "PyQt5.QtCore.QDateTime(2026, 10, 2, 1, 0)"  # 09:00 Beijing = 01:00 UTC
    import sqlite3

    for path, table, column, alias in ((tmp_path / "cases.gpkg", "cases_points", "in_zone_l1", "位于一级保护区"),
                                       (layer, "reconcile_clues", "result", "比对结果")):
        with sqlite3.connect(path) as db:  # the GeoPackage schema extension, for software other than QGIS
            assert db.execute("SELECT name FROM gpkg_data_columns WHERE table_name = ? AND column_name = ?",
                              (table, column)).fetchone() == (alias,)


def test_tracks_export_opens_styled_in_debian_gdal_and_qgis(sample_layers, tmp_path):
    from gis.tracks.pipeline import simulate_and_store

    data = tmp_path / "data"
    for day in ("2026-11-16", "2026-11-17"):
        simulate_and_store(day, sample_layers, data, 6, None)
    miyun = Path(sys.executable).with_name("miyun-gis")
    out = tmp_path / "tracks.gpkg"
    run = subprocess.run([str(miyun), "tracks", "export", "--date", "2026-11-16", "--to", "2026-11-17", "--out",
                          str(out), "--data-dir", str(data)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    fixes = pyogrio.read_dataframe(out, layer="track_fixes")
    lines = pyogrio.read_dataframe(out, layer="track_lines")
    assert len(lines) == 12 and set(lines["date"]) == {"2026-11-16", "2026-11-17"}
    assert f"{len(fixes)} 个定位点、12 条轨迹线" in run.stdout
    assert str(fixes["time"].dtype).endswith("UTC]") and fixes["synthetic"].dtype == bool
    debian = subprocess.run(["ogrinfo", "-ro", "-so", str(out), "track_lines"], capture_output=True, text=True)
    assert debian.returncode == 0 and "Feature Count: 12" in debian.stdout and "Warning" not in debian.stderr
    seen = qgis(out, "layers")
    assert seen["track_fixes"]["valid"] and seen["track_fixes"]["count"] == len(fixes)
    assert seen["track_fixes"]["renderer"] == "categorizedSymbol" and seen["track_fixes"]["categories"][""][0] == "正常"
    assert seen["track_lines"]["valid"] and seen["track_lines"]["crs"] == "EPSG:4548"
    assert seen["track_lines"]["aliases"]["staff_id"] == "保水员编号"
    assert seen["track_lines"]["types"]["first_fix"] == "DateTime"
    refused = subprocess.run([str(miyun), "tracks", "export", "--date", "2001-01-01", "--data-dir", str(data)],
                             capture_output=True, text=True, timeout=300)
    assert refused.returncode != 0 and "没有巡查轨迹" in refused.stderr and "Traceback" not in refused.stderr


def test_every_layer_the_product_writes_has_gpkg_data_columns(layers_copy, tmp_path):
    import sqlite3

    from gis.schema import LAYERS

    with sqlite3.connect(layers_copy) as db:
        rows = db.execute("SELECT table_name, column_name, name FROM gpkg_data_columns").fetchall()
        extension = db.execute("SELECT 1 FROM gpkg_extensions WHERE table_name = 'gpkg_data_columns' AND "
                               "extension_name = 'gpkg_schema'").fetchone()
    aliases = {(t, c): n for t, c, n in rows}
    assert extension
    for layer in LAYERS:
        for field in layer.fields:
            assert aliases[(layer.name, field.name)] == field.alias
