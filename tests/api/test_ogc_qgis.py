"""QGIS 3.22 (Debian python3-qgis, offscreen) opens the server's collections with its OAPIF provider,
logged in through a Basic authentication configuration holding the user name and an API token."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
import shapely
from probes import SYSTEM_PYTHON, require_system_qgis

from gis.layers import gpkg

SCRIPT = Path(__file__).parents[1] / "qgis" / "qgis_oapif.py"


require_system_qgis("the QGIS OAPIF test")

pytestmark = pytest.mark.qgis


def test_qgis_opens_grids_and_cases_as_oapif_layers_with_basic_auth(server, accounts, client, grid_points,
                                                                   sample_layers, tmp_path):
    lon, lat = grid_points["GL-K02"]
    assert client.post("/api/cases", json={"category": "grazing", "reporter": "GL-K02-01", "lon": lon, "lat": lat,
                                           "description": "放牧（QGIS 测试）"}).status_code == 201
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path)}
    result = subprocess.run([SYSTEM_PYTHON, str(SCRIPT), server, "gis1", accounts[1]["gis1"], str(tmp_path)],
                            capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["qgis"].startswith("3.")
    grids = gpkg.read_layer(sample_layers, "grids")
    assert seen["grids_valid"], seen["grids_error"]
    assert seen["grids_count"] == 160 and seen["grids_ids"] == sorted(grids["grid_id"])
    assert seen["grids_crs"] in ("EPSG:4326", "OGC:CRS84")
    box = shapely.box(116.95, 40.50, 117.00, 40.55)
    assert seen["bbox_ids"] == sorted(grids.loc[grids.to_crs("OGC:CRS84").intersects(box), "grid_id"])
    assert seen["subset_set"]
    assert seen["subset_ids"] == sorted(grids.loc[(grids.town == "溪翁庄") & (grids.kind == "reservoir"), "grid_id"])
    assert seen["cases_valid"] and seen["cases_count"] >= 1 and "case_id" in seen["cases_fields"]
