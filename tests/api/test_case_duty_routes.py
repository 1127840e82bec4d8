"""The ledger's last duties over HTTP, against the real server: the utility block list, a case's
visits during its deadlines, the grid archive PDF — each scoped by the caller's rights."""

from __future__ import annotations

import io

import openpyxl
import pytest
from browser import CHROMIUM

from gis.schema import SAMPLE_MARK

GRID = "BLT-K01"  # 不老屯: no other test's town


def _ordered_case(client, server, grid_points) -> dict:
    lon, lat = grid_points[GRID]
    case = client.post(f"{server}/api/cases", json={"category": "construction", "reporter": f"{GRID}-01",
                                                    "lon": lon, "lat": lat, "reported_at": "2026-11-03T09:00"}).json()
    ordered = client.patch(f"{server}/api/cases/{case['case_id']}",
                           json={"version": 1, "status": "ordered", "order_kind": "stop", "at": "2026-11-03T11:00"})
    assert ordered.status_code == 200, ordered.text
    return ordered.json()


def test_utility_list_and_visits_over_http(client, as_user, server, grid_points):
    case = _ordered_case(client, server, grid_points)
    got = client.get(f"{server}/api/cases/utility-list", params={"provider": "供水"})
    assert got.status_code == 200, got.text
    listed = got.json()["sheets"]["禁止接入清单"]
    mine = next(r for r in listed if r["案件编号"] == case["case_id"])
    assert mine["镇"] == "不老屯" and mine["列入清单日期"] == "2026-11-03" and mine["村（最近村庄）"]
    book = client.get(f"{server}/api/cases/utility-list", params={"provider": "供水", "format": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(book.content))["禁止接入清单"]
    assert sheet["A2"].value == "案件编号" and SAMPLE_MARK in sheet["A1"].value  # the served layers: the sample
    assert case["case_id"] in [row[0] for row in sheet.iter_rows(min_row=3, values_only=True)]
    other_town = as_user("tst_op").get(f"{server}/api/cases/utility-list").json()["sheets"]["禁止接入清单"]
    assert all(r["镇"] == "太师屯" for r in other_town)  # a town operator sees their own town only
    bad = client.get(f"{server}/api/cases/utility-list", params={"provider": "宽带"})
    assert bad.status_code == 422 and "供电" in bad.text
    visits = client.get(f"{server}/api/cases/{case['case_id']}/visits", params={"date": "2026-11-20"})
    assert visits.status_code == 200, visits.text
    body = visits.json()
    assert body["window_days"] == 11 and body["days"][0] == {**body["days"][0], "date": "2026-11-03",
                                                             "stage_cn": "下达通知书当日", "visited": False}
    assert body["unverified"][0].startswith("自行拆除期限 2026-11-06 已过")
    assert body["summary"].startswith("自行拆除期限 2026-11-06 已过")  # what the map's case popup shows
    monthly = client.get(f"{server}/api/reports/monthly", params={"month": "2026-11", "as_of": "2026-11-20"}).json()
    row = next(r for r in monthly["sheets"]["通知书期限到场核查"] if r["案件编号"] == case["case_id"])
    assert row["到场天数"] == 0 and row["期内天数"] == 11 and row["期限已过无人到场"].startswith("自行拆除期限")
    scoped = as_user("tst_op").get(f"{server}/api/reports/monthly", params={"month": "2026-11"}).json()
    assert all(r["镇"] == "太师屯" for r in scoped["sheets"]["通知书期限到场核查"])
    assert as_user("xwz_k05").get(f"{server}/api/cases/{case['case_id']}/visits").status_code == 403
    assert as_user("tst_op").get(f"{server}/api/cases/{case['case_id']}/visits").status_code == 403


def test_grid_archive_pdf_over_http(as_user, server):
    pdf = as_user("xwz_op").get(f"{server}/grids/XWZ-K05/archive.pdf", params={"month": "2026-11"})
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF") and len(pdf.content) > 20_000
    assert as_user("tst_op").get(f"{server}/grids/XWZ-K05/archive.pdf").status_code == 403  # another town
    assert as_user("xwz_k05").get(f"{server}/grids/XWZ-K05/archive.pdf").status_code == 403  # staff records
    assert as_user("manager1").get(f"{server}/grids/NOPE-K99/archive.pdf").status_code == 404


@pytest.mark.skipif(CHROMIUM is None, reason="Debian chromium not installed (bash .ci/setup --test installs it)")
def test_case_popup_shows_the_visits_in_chromium(client, browser, server, grid_points):
    case = _ordered_case(client, server, grid_points)
    browser.goto(f"{server}/maps/grids/{GRID}")
    browser.wait_for("document.getElementById('miyun-status') && "
                     "document.getElementById('miyun-status').textContent.indexOf('未结案件') >= 0")
    browser.evaluate("""Object.values(window).filter(v => v instanceof L.Map).forEach(m => m.eachLayer(l => {
        if (l instanceof L.CircleMarker && l.getPopup() && l.getPopup().getContent().indexOf('%s') >= 0) {
            l.openPopup(); }}))""" % case["case_id"])
    assert browser.wait_for("document.body.innerText.indexOf('轨迹到场核查') >= 0")
    text = browser.evaluate("document.querySelector('.leaflet-popup-content').innerText")
    assert case["case_id"] in text and ("尚无轨迹到场" in text or "已过" in text)
