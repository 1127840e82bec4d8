"""The grid archive PDF (网格档案) from a real ledger, store and daily report, read back with pdftotext."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from gis.layers import gpkg
from gis.ledger.cases import Cases
from gis.ledger.db import Ledger
from gis.schema import SAMPLE_MARK
from gis.staff.deductions import record
from gis.staff.roster import SAMPLE_SOURCE, load_roster, sample_roster

pytestmark = pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")
MIYUN = str(Path(sys.executable).with_name("miyun-gis"))
GRID = "MJY-K02"


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def test_archive_of_a_grid(sample_layers, grid_index, grid_points, tmp_path):
    data = tmp_path / "data"
    ledger = Ledger.in_dir(data)
    grids = gpkg.read_layer(sample_layers, "grids", read_geometry=False)
    towns = dict(zip(grids["grid_id"], grids["town"]))
    roster = sample_roster(sample_layers)
    roster.loc[roster["staff_id"] == f"{GRID}-01", "name"] = "王某"
    load_roster(ledger, roster, towns, user="u", source=SAMPLE_SOURCE)
    # one left, one re-evaluated, one deducted
    changed = roster.copy()
    changed.loc[changed["staff_id"] == f"{GRID}-02", ["status", "end_date"]] = ["left", "2026-09-30"]
    changed.loc[changed["staff_id"] == f"{GRID}-03", "evaluated_on"] = "2024-07-01"
    load_roster(ledger, changed, towns, user="u", source=SAMPLE_SOURCE)
    record(ledger, user="u", staff_id=f"{GRID}-04", kind="absence", occurred_on="2026-11-05",
           evidence="11 月 5 日 10 时轨迹显示不在网格")
    cases = Cases(ledger, lambda: grid_index)
    lon, lat = grid_points[GRID]
    built = cases.add(user="u", category="construction", source="patrol", reporter=f"{GRID}-01", lon=lon, lat=lat,
                      reported_at="2026-11-10T08:00")
    cases.update(built["case_id"], user="u", status="ordered", order_kind="stop", at="2026-11-10T10:00")
    cases.update(built["case_id"], user="u", status="demolished", at="2026-11-12T10:00")
    fire = cases.add(user="u", category="fire", source="patrol", reporter=f"{GRID}-01", lon=lon, lat=lat,
                     reported_at="2026-11-15T08:00")
    last_year = cases.add(user="u", category="fire", source="patrol", reporter=f"{GRID}-01", lon=lon, lat=lat,
                          reported_at="2025-05-15T08:00")
    # a day of tracks and its daily report
    env = {**os.environ, "MIYUN_LAYERS": str(sample_layers), "MIYUN_DATA_DIR": str(data)}
    subprocess.run([MIYUN, "simulate-tracks", "--date", "2026-11-20", "--staff", "300", "--quiet"], env=env,
                   check=True, timeout=600)
    subprocess.run([MIYUN, "tracks", "daily", "--date", "2026-11-20", "--quiet"], env=env, check=True, timeout=600)
    out = tmp_path / "archive.pdf"
    result = subprocess.run([MIYUN, "archive", "--grid", GRID, "--month", "2026-11", "--out", str(out)], env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    text = pdf_text(out)
    assert f"网格档案 {GRID}" in text and "四至" in text and "东至" in text and SAMPLE_MARK in text
    assert f"{GRID}-01" in text and "王某" in text and "网格长" in text
    assert "离岗" in text and "2026-09-30" in text  # who left, and when
    assert "2021-07-01、2024-07-01 / 2027-07-01" in text.replace("\n", "")  # re-evaluations, the next one
    assert "脱岗" in text and "1 分" in text
    assert built["case_id"] in text and "2026-11-12 强制拆除" not in text and "自行拆除" in text
    assert fire["case_id"] in text and last_year["case_id"] not in text  # the year's cases only
    assert "2026-11 巡查情况" in text and "2026-11-20" in text and "合计 1 天" in text


def test_archive_of_an_unknown_grid_is_a_clear_error(sample_layers, tmp_path):
    env = {**os.environ, "MIYUN_LAYERS": str(sample_layers), "MIYUN_DATA_DIR": str(tmp_path / "data")}
    out = tmp_path / "x.pdf"
    result = subprocess.run([MIYUN, "archive", "--grid", "NOPE-K99", "--out", str(out)], env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode != 0 and "NOPE-K99" in result.stderr and "Traceback" not in result.stderr
    assert not out.exists()
