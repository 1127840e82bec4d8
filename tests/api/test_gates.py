"""Fence gates over HTTP: passes issued by the offices, entries logged by gate keepers and checked."""

from __future__ import annotations

import io

import pandas as pd


def test_passes_and_entries_checked_and_scoped_by_town(client, as_user, server):
    issued = client.post("/api/gates/passes", json={
        "pass_no": "TX-2026-001", "holder": "水库管理处巡查车", "kind": "vehicle", "plate": "京A12345",
        "office": "reservoir_office", "valid_from": "2026-01-01", "valid_to": "2026-12-31", "gates": "WM-01,WM-02"})
    assert issued.status_code == 201, issued.text
    assert as_user("xwz_op").post("/api/gates/passes", json={**issued.json(), "pass_no": "X"}).status_code == 403
    keeper = as_user("xwz_op")  # 溪翁庄's operator keeps the gates of 溪翁庄 (WM-01, WM-02)
    fine = keeper.post("/api/gates/entries", json={"gate_id": "WM-01", "kind": "vehicle", "pass_no": "TX-2026-001",
                                                   "plate": "京A 12345", "who": "司机", "time_in": "2026-11-20T08:00"})
    assert fine.status_code == 201, fine.text
    assert fine.json()["problems"] == ""
    wrong_gate = keeper.post("/api/gates/entries", json={"gate_id": "WM-09", "kind": "vehicle",
                                                         "pass_no": "TX-2026-001", "plate": "京A12345",
                                                         "time_in": "2026-11-20T09:00"})
    assert "不含进出口 WM-09" in wrong_gate.json()["problems"]
    no_pass = keeper.post("/api/gates/entries", json={"gate_id": "WM-02", "kind": "person", "who": "钓鱼者",
                                                      "time_in": "2026-11-20T10:00"})
    assert no_pass.json()["problems"] == "无通行证明"
    # another town's gate is refused and nothing is logged
    other = keeper.post("/api/gates/entries", json={"gate_id": "WM-04", "kind": "person", "time_in": "2026-11-20T11:00"})
    assert other.status_code == 403 and "本镇" in other.json()["error"]["message"]
    unknown = keeper.post("/api/gates/entries", json={"gate_id": "WM-99", "kind": "person"})
    assert unknown.status_code == 422 and "WM-99" in unknown.json()["error"]["message"]
    assert client.post("/api/gates/passes/TX-2026-001/revoke").status_code == 200
    late = keeper.post("/api/gates/entries", json={"gate_id": "WM-01", "kind": "vehicle", "pass_no": "TX-2026-001",
                                                   "plate": "京A12345", "time_in": "2026-11-20T18:00"})
    assert "已注销" in late.json()["problems"]
    assert client.post("/api/gates/passes/NOPE/revoke").status_code == 404

    day = client.get("/api/gates/entries", params={"date": "2026-11-20"}).json()
    rows = day["sheets"]["进出登记"]
    assert len(rows) == 4 and day["with_problems"] == 3 and {r["镇"] for r in rows} == {"溪翁庄"}
    assert as_user("tst_op").get("/api/gates/entries", params={"date": "2026-11-20"}).json()["sheets"][
        "进出登记"] == []
    excel = client.get("/api/gates/passes", params={"format": "xlsx"})
    register = pd.read_excel(io.BytesIO(excel.content), sheet_name="通行证明", header=1)  # row 1: the title
    assert register.loc[0, "通行证明编号"] == "TX-2026-001" and register.loc[0, "状态"] == "已注销"
