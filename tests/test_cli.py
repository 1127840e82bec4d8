"""The miyun-gis command as a user runs it: exit codes and one-line messages."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pyogrio

from gis.layers import gpkg

MIYUN = str(Path(sys.executable).with_name("miyun-gis"))


def run(*args, env=None):
    return subprocess.run([MIYUN, *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=300)


def test_validate_passes_on_the_sample(sample_layers):
    result = run("validate", str(sample_layers))
    assert result.returncode == 0, result.stderr
    assert "通过校验" in result.stdout


def test_layers_found_through_the_environment(sample_layers):
    result = run("info", env={"MIYUN_LAYERS": str(sample_layers)})
    assert result.returncode == 0, result.stderr
    assert "示例数据 SAMPLE DATA" in result.stdout and "2150" in result.stdout


def test_validate_lists_problems_and_exits_1(layers_copy):
    grids = gpkg.read_layer(layers_copy, "grids")
    grids.loc[grids.index[0], "town"] = "古北口"
    pyogrio.write_dataframe(grids, layers_copy, layer="grids", promote_to_multi=True,
                            layer_options={"OVERWRITE": "YES"})
    result = run("validate", "--layers", str(layers_copy))
    assert result.returncode == 1
    assert "古北口一级区网格应为 0 个，实为 1 个" in result.stdout
    assert "Traceback" not in result.stderr


def test_missing_layers_file_is_one_clear_line(tmp_path):
    result = run("info", "--layers", str(tmp_path / "nowhere.gpkg"))
    assert result.returncode == 2
    assert "图层文件不存在" in result.stderr and "nowhere.gpkg" in result.stderr
    assert "Traceback" not in result.stderr


def test_import_error_is_one_clear_line(layers_copy, tmp_path):
    junk = tmp_path / "bad.geojson"
    junk.write_text("{}")
    result = run("import-layer", "grids", str(junk), "--layers", str(layers_copy))
    assert result.returncode == 2
    assert "bad.geojson" in result.stderr and "Traceback" not in result.stderr


def test_case_commands_from_an_empty_ledger(sample_layers, grid_points, tmp_path):
    env = {"MIYUN_LAYERS": str(sample_layers), "MIYUN_DATA_DIR": str(tmp_path / "data"), "MIYUN_USER": "gis-officer"}
    for args, expected in [(("cases", "list"), "没有符合条件的案件"), (("cases", "overdue", "--date", "2026-10-01"),
                                                                   "没有逾期案件")]:
        result = run(*args, env=env)
        assert result.returncode == 0 and expected in result.stdout, result.stderr
    lon, lat = grid_points["SC-K02"]
    added = run("cases", "add", "--category", "construction", "--reporter", "SC-K02-01", "--lon", str(lon),
                "--lat", str(lat), "--time", "2026-10-02T09:00", env=env)
    assert added.returncode == 0 and "AJ2026-00001" in added.stdout and "SC-K02" in added.stdout, added.stderr
    bad = run("cases", "update", "AJ2026-00001", "--status", "closed", env=env)
    assert bad.returncode == 2 and "不能由 discovered" in bad.stderr and "Traceback" not in bad.stderr
    ordered = run("cases", "update", "AJ2026-00001", "--status", "ordered", "--order", "stop",
                  "--time", "2026-10-02T10:00", env=env)
    assert ordered.returncode == 0 and "2026-10-05" in ordered.stdout
    out = tmp_path / "overdue.xlsx"
    late = run("cases", "overdue", "--date", "2026-10-20", "--out", str(out), env=env)
    assert late.returncode == 0 and out.exists()
    report = run("report", "monthly", "--month", "2026-10", "--as-of", "2026-11-22", env=env)
    assert report.returncode == 0 and "逾期" in report.stdout
    assert (tmp_path / "data" / "reports" / "monthly-2026-10.xlsx").exists()
    exported = run("cases", "export", "--out", str(tmp_path / "cases.gpkg"), env=env)
    assert exported.returncode == 0
    assert pyogrio.read_dataframe(tmp_path / "cases.gpkg").iloc[0]["grid_id"] == "SC-K02"


def test_demo_runs_the_main_job_on_the_sample(sample_layers, tmp_path):
    result = run("demo", "--staff", "20", "--data-dir", str(tmp_path / "data"), env={"MIYUN_LAYERS": str(sample_layers)})
    assert result.returncode == 0, result.stderr
    assert "示例花名册：2150 人" in result.stdout and "4,816 万元" in result.stdout
    assert list((tmp_path / "data" / "reports").glob("tracks-daily-*.xlsx"))
