"""The case ledger and its reports over HTTP, against the real server."""

from __future__ import annotations

import io
import json

import pandas as pd
from PIL import Image


def test_case_lifecycle_over_http(client, as_user, server, grid_points):
    op = as_user("xwz_op")  # 溪翁庄's town operator
    lon, lat = grid_points["XWZ-K08"]
    created = op.post(f"{server}/api/cases", json={
        "category": "construction", "reporter": "XWZ-K08-02", "lon": lon, "lat": lat,
        "reported_at": "2026-10-12T09:00", "description": "<script>alert(1)</script>新建彩钢房"})
    assert created.status_code == 201, created.text
    case = created.json()
    assert (case["grid_id"], case["town"], case["status_cn"]) == ("XWZ-K08", "溪翁庄", "发现")
    assert case["geometry"]["type"] == "Point" and abs(case["geometry"]["coordinates"][0] - lon) < 1e-6
    url = f"{server}/api/cases/{case['case_id']}"
    ordered = op.patch(url, json={"version": 1, "status": "ordered", "order_kind": "stop",
                                                  "at": "2026-10-12T15:00"})
    assert ordered.status_code == 200 and ordered.json()["self_due"] == "2026-10-15"
    stale = op.patch(url, json={"version": 1, "description": "覆盖"})
    assert stale.status_code == 409 and "已被他人修改" in stale.json()["error"]["message"]
    closing = op.patch(url, json={"version": 2, "status": "closed"})
    assert closing.status_code == 403 and "无权结案" in closing.json()["error"]["message"]  # managers close
    wrong = client.patch(url, json={"version": 2, "status": "closed"})
    assert wrong.status_code == 409 and wrong.json()["error"]["field"] == "status"
    late = client.get(f"{server}/api/cases/overdue", params={"date": "2026-10-20"}).json()
    assert "items" in late, late
    assert case["case_id"] in [c["case_id"] for c in late["items"]]
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), "blue").save(buffer, format="PNG")
    photo = op.post(f"{url}/evidence", files={"file": ("../现场.png", buffer.getvalue())})
    assert photo.status_code == 201 and photo.json()["format"] == "PNG"
    fake = op.post(f"{url}/evidence", files={"file": ("x.jpg", b"MZ\x90\x00 not an image")})
    assert fake.status_code == 422
    detail = client.get(url).json()
    assert [h["to_status"] for h in detail["history"]] == ["discovered", "ordered"]
    assert detail["history"][1]["user"] == "xwz_op" and len(detail["evidence"]) == 1
    listed = client.get(f"{server}/api/cases", params={"town": "溪翁庄", "open": True}).json()
    assert listed["count"] >= 1


def test_bad_case_requests_are_4xx_in_chinese_and_english(client, server, grid_points):
    lon, lat = grid_points["XWZ-K08"]
    for body, status in [
        ({"category": "nonsense", "reporter": "x", "lon": lon, "lat": lat}, 422),
        ({"category": "fire", "reporter": "x", "lon": 118.5, "lat": 40.4}, 422),
        ({"category": "fire", "reporter": "x", "geometry": {"type": "Polygon", "coordinates": "oops"}}, 422),
        ({"category": "fire"}, 422),
    ]:
        answer = client.post(f"{server}/api/cases", json=body)
        assert answer.status_code == status, answer.text
        assert answer.json()["error"]["message"] and answer.json()["error"]["message_en"]
    assert client.get(f"{server}/api/cases/AJ2026-99999").status_code == 404
    assert client.get(f"{server}/api/cases", params={"town": "上海"}).status_code == 404
    assert client.get(f"{server}/api/cases", params={"month": "2026-13"}).status_code == 422
    assert client.get(f"{server}/api/cases", params={"limit": 0}).status_code == 422
    assert client.post(f"{server}/api/cases", content=b"{not json", headers={"content-type": "application/json"}
                      ).status_code == 422


def test_monthly_report_and_reconcile_over_http(client, server, grid_points):
    lon, lat = grid_points["MJY-K03"]
    case = client.post(f"{server}/api/cases", json={"category": "construction", "reporter": "MJY-K03-01", "lon": lon,
                                                   "lat": lat, "reported_at": "2026-09-05T10:00"})
    assert case.status_code == 201
    sent = client.post(f"{server}/api/reports/monthly/submit", json={"town": "冯家峪", "month": "2026-09",
                                                                    "at": "2026-10-10T10:00"})
    assert sent.status_code == 201 and sent.json()["zero_report"] is True
    report = client.get(f"{server}/api/reports/monthly", params={"month": "2026-09", "as_of": "2026-10-25"}).json()
    rows = {r["镇"]: r for r in report["sheets"]["各镇月报"]}
    assert rows["冯家峪"]["零报告"] == "是" and rows["穆家峪"]["报送情况"] == "逾期未报"
    excel = client.get(f"{server}/api/reports/monthly", params={"month": "2026-09", "format": "xlsx"})
    assert excel.status_code == 200
    assert pd.read_excel(io.BytesIO(excel.content), sheet_name="各镇月报", header=1)["镇"].tolist()[0] == "不老屯"
    clues = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"clue_id": "WP-9"},
                                                        "geometry": {"type": "Point", "coordinates": [lon, lat]}}]}
    result = client.post(f"{server}/api/reports/reconcile", data={"month": "2026-09"},
                        files={"file": ("clues.geojson", json.dumps(clues).encode())})
    assert result.status_code == 200, result.text
    summary = {r["镇"]: r for r in result.json()["sheets"]["比对汇总"]}
    assert summary["穆家峪"]["与台账一致(处)"] == 1
    junk = client.post(f"{server}/api/reports/reconcile", data={"month": "2026-09"},
                      files={"file": ("clues.geojson", b"<gpx>")})
    assert junk.status_code == 422 and "clues.geojson" in junk.json()["error"]["message"]
    assert client.get(f"{server}/api/reports/files/..%2Fledger.sqlite").status_code == 404
