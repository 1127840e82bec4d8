"""Staff, money, assessment and relocation over HTTP, against the real server."""

from __future__ import annotations

import io

import pandas as pd
import shapely

from gis.layers import gpkg
from gis.crs import to_web
from gis.schema import STAFF_COLUMNS
from gis.staff.roster import sample_roster


def test_funds_roster_deductions_and_assessment(client, server, sample_layers):
    before = client.get(f"{server}/api/reports/funds", params={"year": 2026}).json()
    total = {r["镇"]: r for r in before["sheets"]["年度资金安排"]}["合计"]
    assert total["合计(万元)"] == 4816 and "花名册尚未导入" in before["basis"]
    roster = sample_roster(sample_layers)[list(STAFF_COLUMNS)].rename(columns=STAFF_COLUMNS)
    upload = client.post(f"{server}/api/staff/roster", files={"file": ("花名册.csv",
                                                                      roster.to_csv(index=False).encode("utf-8-sig"))})
    assert upload.status_code == 200, upload.text
    assert upload.json()["staff"] == 2150
    after = client.get(f"{server}/api/reports/funds", params={"year": 2026}).json()
    assert after["basis"].startswith("按花名册") and {r["镇"]: r for r in after["sheets"]["年度资金安排"]}["合计"][
        "合计(万元)"] == 4816
    ids = []
    for day in ("2026-04-03", "2026-05-04", "2026-06-05"):
        answer = client.post(f"{server}/api/staff/deductions", json={
            "staff_id": "TST-H02-04", "kind": "absence", "occurred_on": day, "evidence": "轨迹：班次内无定位，经核实"})
        assert answer.status_code == 201, answer.text
        ids.append(answer.json()["deduction_id"])
    appealed = client.post(f"{server}/api/staff/deductions/{ids[0]}/appeal", json={"note": "当日请假已批"})
    assert appealed.status_code == 200
    assert client.get(f"{server}/api/staff/dismissals", params={"year": 2026}).json()["count"] == 0
    client.post(f"{server}/api/staff/deductions/{ids[0]}/decision", json={"upheld": True, "on": "2026-06-20"})
    assert [i["staff_id"] for i in client.get(f"{server}/api/staff/dismissals", params={"year": 2026}).json()[
        "items"]] == ["TST-H02-04"]
    q3 = client.get(f"{server}/api/reports/subsidy", params={"year": 2026, "quarter": 3}).json()
    row = {r["镇"]: r for r in q3["sheets"]["2026年第3季度劳务补贴"]}["太师屯"]
    assert row["扣减(元)"] == 300 and row["实拨(元)"] == 400 * 3 * 1500 - 300
    excel = client.get(f"{server}/api/reports/assessment", params={"year": 2026, "format": "xlsx"})
    towns = pd.read_excel(io.BytesIO(excel.content), sheet_name="各镇考核", header=1).set_index("镇")
    assert towns.loc["太师屯", "网格保水员(50)"] == 47
    bad = client.post(f"{server}/api/staff/roster", files={"file": ("x.csv", "保水员编号\nA\n".encode())})
    assert bad.status_code == 422 and "缺少列" in bad.json()["error"]["message"]
    assert client.post(f"{server}/api/staff/deductions/999999/appeal", json={"note": "n"}).status_code == 404


def test_relocation_plan_and_site_check(client, server, sample_layers):
    plan = client.post(f"{server}/api/relocation/plans", json={
        "plan_year": 2026, "town": "石城", "village": "黄峪口村", "kind": "hazard", "mode": "off_site",
        "households": 5, "people": 14, "hazard_households": 5, "hazard_people": 14, "new_houses": 5,
        "old_houses": 5, "standard_houses": 5})
    assert plan.status_code == 201, plan.text
    assert plan.json()["city_yuan"] == 14 * 27_000 + 5 * 60_000 + 5 * 10_000 + 5 * 20_000
    tables = client.get(f"{server}/api/reports/relocation", params={"year": 2026}).json()
    assert tables["sheets"]["2026年计划统计表"][-1]["户数"] == 5
    zone = gpkg.read_layer(sample_layers, "zone_l1").geometry.union_all().buffer(-60).representative_point()
    box = shapely.box(zone.x - 20, zone.y - 20, zone.x + 20, zone.y + 20)
    lon, lat = to_web(*shapely.get_coordinates(box).T)
    check = client.post(f"{server}/api/relocation/site-check", json={
        "geometry": {"type": "Polygon", "coordinates": [list(map(list, zip(lon, lat)))]}}).json()
    assert check["refused"] and check["conflicts"][0]["layer"] == "zone_l1"
    assert abs(check["conflicts"][0]["overlap_m2"] - 1600) < 1
    point = client.post(f"{server}/api/relocation/site-check", json={"geometry": {"type": "Point",
                                                                                 "coordinates": [117.0, 40.5]}})
    assert point.status_code == 422
