"""Monthly reports with zero reports and late towns; satellite clues reconciled with the ledgers."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from openpyxl import load_workbook

from gis.crs import to_storage, to_web
from gis.errors import InputError
from gis.ledger.cases import Cases
from gis.ledger.db import Ledger
from gis.ledger.monthly import monthly_report, submit
from gis.ledger.reconcile import read_clues, reconcile
from gis.reports.writers import write_excel


@pytest.fixture
def october(tmp_path, grid_index, grid_points) -> Cases:
    """October 2026: two patrol finds in 溪翁庄, one satellite case in 高岭, one find in 太师屯 in September."""
    cases = Cases(Ledger.in_dir(tmp_path), lambda: grid_index)
    for grid, at, source in (("XWZ-K05", "2026-10-03T10:00", "patrol"), ("XWZ-K12", "2026-10-31T23:30", "patrol"),
                             ("GL-K02", "2026-10-10T10:00", "satellite"), ("TST-K04", "2026-09-30T23:00", "patrol")):
        lon, lat = grid_points[grid]
        cases.add(user="u", category="construction", source=source, reporter="r", lon=lon, lat=lat, reported_at=at)
    cases.add(user="u", category="sanitation", source="patrol", reporter="r", lon=grid_points["XWZ-K07"][0],
              lat=grid_points["XWZ-K07"][1], reported_at="2026-10-05T10:00")
    return cases


def test_monthly_report_with_zero_reports_and_late_towns(october):
    with pytest.raises(InputError, match="尚未结束"):
        submit(october, "溪翁庄", "2026-10", user="溪翁庄", at="2026-10-31T12:00")
    assert submit(october, "溪翁庄", "2026-10", user="溪翁庄", at="2026-11-15T09:00")["findings"] == 2
    assert submit(october, "太师屯", "2026-10", user="太师屯", at="2026-11-20T23:00")["zero_report"]
    assert submit(october, "石城", "2026-10", user="石城", at="2026-11-21T08:00")["zero_report"]
    sheets = monthly_report(october, "2026-10", as_of=date(2026, 11, 22))
    summary = sheets["各镇月报"].set_index("镇")
    assert summary.loc["溪翁庄", "巡查发现违法用地违法建设(处)"] == 2
    assert summary.loc["溪翁庄", "报送情况"] == "按时报送"
    assert summary.loc["太师屯", "零报告"] == "是" and summary.loc["太师屯", "报送情况"] == "按时报送"
    assert summary.loc["石城", "报送情况"] == "逾期报送（2026-11-21）"
    assert summary.loc["高岭", "巡查发现违法用地违法建设(处)"] == 0  # satellite clues are not the town's finds
    assert summary["报送截止日"].unique().tolist() == ["2026-11-20"]
    late = sheets["逾期未报"]["镇"].tolist()
    assert late == ["不老屯", "高岭", "穆家峪", "石城", "冯家峪", "古北口"]
    assert len(sheets["巡查发现明细"]) == 2
    before_due = monthly_report(october, "2026-10", as_of=date(2026, 11, 20))
    assert before_due["逾期未报"]["镇"].tolist() == ["石城"]


def test_monthly_report_on_an_empty_ledger(tmp_path, grid_index):
    sheets = monthly_report(Cases(Ledger.in_dir(tmp_path), lambda: grid_index), "2026-10", as_of=date(2026, 11, 1))
    assert len(sheets["各镇月报"]) == 8 and sheets["逾期未报"].empty
    path = write_excel(tmp_path / "m.xlsx", sheets, sample=False)
    assert pd.read_excel(path, sheet_name="各镇月报", header=1)["镇"].tolist()[:2] == ["不老屯", "太师屯"]


def square(point, half_m: float, east_m: float = 0.0) -> dict:
    x, y = to_storage(np.array([point[0]]), np.array([point[1]]))
    box = shapely.box(x[0] + east_m - half_m, y[0] - half_m, x[0] + east_m + half_m, y[0] + half_m)
    lon, lat = to_web(*shapely.get_coordinates(box).T)
    return {"type": "Polygon", "coordinates": [np.column_stack([lon, lat]).tolist()]}


def test_reconcile_finds_all_three_kinds(october, grid_index, grid_points, tmp_path):
    clues = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"线索编号": "WP-01"}, "geometry": square(grid_points["XWZ-K05"], 15, 25)},
        {"type": "Feature", "properties": {"线索编号": "WP-02"}, "geometry": square(grid_points["TST-K06"], 20)},
        {"type": "Feature", "properties": {"线索编号": "WP-03"}, "geometry": square(grid_points["TST-K07"], 20)},
        # the structure 太师屯 found in September (still open): in its ledger already, no omission
        {"type": "Feature", "properties": {"线索编号": "WP-04"}, "geometry": square(grid_points["TST-K04"], 10)},
    ]}
    path = tmp_path / "clues.geojson"
    path.write_text(json.dumps(clues), encoding="utf-8")
    result = reconcile(october, grid_index, read_clues(path), "2026-10", threshold=0.8)
    summary = result.summary.set_index("town")
    assert summary.loc["溪翁庄", ["clues", "matched", "missing_from_ledger", "not_in_clues"]].tolist() == [1, 1, 0, 1]
    assert summary.loc["溪翁庄", "judgement"] == "consistent"
    assert summary.loc["太师屯", ["clues", "matched", "matched_earlier", "missing_from_ledger"]].tolist() == [3, 0, 1, 2]
    assert (summary.loc["太师屯", "consistency"], summary.loc["太师屯", "judgement"]) == (0.3333, "discrepant")
    assert summary.loc["古北口", "consistency"] == 1.0
    by_clue = result.clues.set_index("clue_id")
    assert by_clue.loc["WP-01", "result"] == "一致" and by_clue.loc["WP-01", "matched"].startswith("AJ2026-")
    assert by_clue.loc["WP-02", "result"] == "卫片发现、台账未报" and by_clue.loc["WP-02", "town"] == "太师屯"
    september = october.frame(town="太师屯")["case_id"].tolist()
    assert by_clue.loc["WP-04", "result"] == "一致（往月台账在办案件）" and by_clue.loc["WP-04", "matched"] == september[0]
    october.update(september[0], user="u", status="dismissed", at="2026-10-20T10:00", note="核实不属违法")
    again = reconcile(october, grid_index, read_clues(path), "2026-10").clues.set_index("clue_id")
    assert again.loc["WP-04", "result"] == "卫片发现、台账未报"  # a closed case does not cover a structure
    assert sorted(result.ledger["result"]) == ["一致", "台账上报、卫片未见"]
    layer = result.write_layer(tmp_path / "reconcile.gpkg")
    names = [name for name, _ in pyogrio.list_layers(layer)]
    assert names == ["reconcile_clues", "reconcile_ledger", "layer_styles"]  # with the QGIS default styles
    read = pyogrio.read_dataframe(layer, layer="reconcile_clues")
    assert read.crs.to_epsg() == 4548 and len(read) == 4
    excel = write_excel(tmp_path / "r.xlsx", result.sheets(), sample=False)
    judged = pd.read_excel(excel, sheet_name="比对汇总", header=1).set_index("镇")  # row 1: the title
    assert judged.loc["太师屯", "判定"].startswith("差距较大") and judged.loc["溪翁庄", "一致率"] == 1.0
    rate = load_workbook(excel)["比对汇总"]
    column = [c.value for c in rate[2]].index("一致率") + 1
    assert rate.cell(3, column).number_format == "0.0%"  # shown 100.0%, a number for people


def test_bad_clue_files_are_named(tmp_path):
    junk = tmp_path / "junk.geojson"
    junk.write_text("{ nope", encoding="utf-8")
    with pytest.raises(InputError, match="junk.geojson"):
        read_clues(junk)
    far = tmp_path / "far.geojson"
    far.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [121.5, 31.2]}}]}))
    with pytest.raises(InputError, match="坐标系可能有误"):
        read_clues(far)
