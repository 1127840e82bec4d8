"""Mountain relocation: a worked subsidy example by hand, payments, calendar, the two tables, site checks."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pytest
import shapely

from gis.layers import gpkg
from gis.errors import InputError
from gis.ledger.db import Ledger
from gis.relocation.plans import (
    add_plan,
    hazard_villages,
    late_items,
    payments,
    plan_table,
    progress_table,
    record_progress,
    subsidies,
)
from gis.relocation.site import check_site

VILLAGE = dict(town="冯家峪", village="西口外村", mode="merge", households=12, people=31, hazard_households=9,
               hazard_people=24, low_income_households=2, low_income_people=5, new_houses=11, old_houses=12,
               standard_houses=10)


def test_worked_example_matches_the_hand_computation(tmp_path):
    ledger = Ledger.in_dir(tmp_path)
    hazard = add_plan(ledger, user="冯家峪镇", plan_year=2025, kind="hazard", **VILLAGE)
    # by hand: city 31×27,000 + 12×60,000 + 12×10,000 + 10×20,000 = 837,000 + 720,000 + 120,000 + 200,000
    #          district 11×30,000 = 330,000
    assert payments(hazard)["city_yuan"] == 1_877_000
    assert payments(hazard)["district_yuan"] == 330_000
    poor = add_plan(ledger, user="冯家峪镇", plan_year=2025, kind="poor_conditions", **{**VILLAGE, "village": "白马关村"})
    assert payments(poor) == {"city_yuan": 1_877_000, "district_yuan": 0, "total_yuan": 1_877_000,
                              "city_share_payable": 0.3, "city_payable_yuan": 563_100}
    assert "per_new_house" not in set(subsidies(poor)["rule"])
    assert payments(hazard, progress=0.1)["city_payable_yuan"] == 563_100  # 30 % at the start
    assert payments(hazard, progress=0.65)["city_payable_yuan"] == 1_220_050  # with the works
    assert payments(hazard, progress=0.95)["city_payable_yuan"] == 1_501_600  # capped at 80 %
    assert payments(hazard, progress=0.95, accepted=True)["city_payable_yuan"] == 1_877_000
    assert payments(hazard, started=False)["city_payable_yuan"] == 0


def test_calendar_tables_and_what_is_late(tmp_path):
    ledger = Ledger.in_dir(tmp_path)
    plan = add_plan(ledger, user="u", plan_year=2025, kind="hazard", town_plan_on="2024-08-20", **VILLAGE)
    scattered = add_plan(ledger, user="u", plan_year=2025, kind="hazard", **{**VILLAGE, "village": "石洞子村",
                                                                             "mode": "scattered", "households": 3,
                                                                             "people": 8, "hazard_households": 3,
                                                                             "hazard_people": 8, "low_income_households": 0,
                                                                             "low_income_people": 0, "new_houses": 3,
                                                                             "old_houses": 3, "standard_houses": 3})
    record_progress(ledger, user="u", plan_id=plan["plan_id"], month="2026-12", started=1, structure_done=1,
                    moved_in=0.25, old_houses_demolished=3, problems="冬季停工")
    table = plan_table(ledger, 2025)
    assert table.iloc[-1]["区"] == "合计" and table.iloc[-1]["户数"] == 15 and table.iloc[-1]["人数"] == 39
    row = table.loc[table["村名"] == "西口外村"].iloc[0]
    assert row["集并搬迁"] == "√" and row["易地搬迁"] == ""
    assert table.loc[table["村名"] == "石洞子村", "分散搬迁户数"].iloc[0] == 3
    progress = progress_table(ledger, "2027-01")
    assert progress.loc[0, ["完成主体", "农民入住", "旧房拆除户数"]].tolist() == ["100%", "25%", 3]
    late = late_items(ledger, plan, date(2027, 10, 16))
    assert "农民入住（2027-10-15）" in late and not any("完成工程主体" in x for x in late)
    assert any("2027-09 月进度表未报" in x for x in late)
    late_scattered = late_items(ledger, scattered, date(2026, 1, 5))
    assert "镇上报年度搬迁计划（2024-08-31）" in late_scattered and "具备开工条件（2025-12-31）" in late_scattered
    with pytest.raises(InputError, match="开工 ≥ 完成主体"):
        record_progress(ledger, user="u", plan_id=plan["plan_id"], month="2027-01", started=0.5, structure_done=0.9)
    with pytest.raises(InputError, match="hazard_people"):
        add_plan(ledger, user="u", plan_year=2025, kind="hazard", **{**VILLAGE, "hazard_people": 99})


def test_a_site_in_the_first_level_zone_is_refused_with_its_overlap(sample_layers, tmp_path):
    zone = gpkg.read_layer(sample_layers, "zone_l1").geometry.union_all()
    inside = zone.buffer(-60).representative_point()
    site = shapely.box(inside.x - 50, inside.y - 50, inside.x + 50, inside.y + 50)
    result = check_site(sample_layers, site)
    assert result.refused
    conflict = result.conflicts.set_index("layer").loc["zone_l1"]
    assert conflict["overlap_m2"] == pytest.approx(10_000, abs=0.5) and conflict["share"] == 1.0
    assert "一级保护区" in result.verdict() and "10,000.0 平方米" in result.verdict()


def test_a_clear_site_passes_unless_a_user_layer_forbids_it(sample_layers, tmp_path):
    layers = gpkg.read_layers(sample_layers, ["district", "zone_l1", "river_corridors", "hazard_zones"])
    keep_out = shapely.union_all([layers[n].geometry.union_all().buffer(300)
                                  for n in ("zone_l1", "river_corridors", "hazard_zones")])
    free = layers["district"].geometry.union_all().buffer(-500).difference(keep_out)
    spot = free.representative_point()
    site = shapely.box(spot.x - 40, spot.y - 40, spot.x + 40, spot.y + 40)
    assert not check_site(sample_layers, site).refused
    redline = shapely.box(spot.x, spot.y - 100, spot.x + 100, spot.y + 100)
    path = tmp_path / "redline.geojson"
    from gis.crs import to_web

    lon, lat = to_web(*shapely.get_coordinates(redline).T)
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {
        "name": "红线 A"}, "geometry": {"type": "Polygon", "coordinates": [np.column_stack([lon, lat]).tolist()]}}]}))
    result = check_site(sample_layers, site, [("生态保护红线", path)])
    assert result.conflicts["title"].tolist() == ["生态保护红线"]
    assert result.conflicts["overlap_m2"].iloc[0] == pytest.approx(3200, rel=1e-3)


def test_villages_in_hazard_zones(sample_layers):
    frame = hazard_villages(gpkg.read_layer(sample_layers, "villages"), gpkg.read_layer(sample_layers, "hazard_zones"))
    assert len(frame) > 0 and frame["code"].is_unique
    assert set(frame["hazard_type"]) <= {"geohazard", "flood", "poor_conditions"}
